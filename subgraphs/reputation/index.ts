import { runSubgraph } from '../../lib/server/run-subgraph';
import { reputation } from './subgraph';

void runSubgraph(reputation);
