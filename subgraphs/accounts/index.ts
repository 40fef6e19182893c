import { runSubgraph } from '../../lib/server/run-subgraph';
import { accounts } from './subgraph';

void runSubgraph(accounts);
