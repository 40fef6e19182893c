import { runSubgraph } from '../../lib/server/run-subgraph';
import { orders } from './subgraph';

void runSubgraph(orders);
