import { runSubgraph } from '../../lib/server/run-subgraph';
import { payments } from './subgraph';

void runSubgraph(payments);
