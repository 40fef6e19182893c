import { runSubgraph } from '../../lib/server/run-subgraph';
import { notifications } from './subgraph';

void runSubgraph(notifications);
