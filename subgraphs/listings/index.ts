import { runSubgraph } from '../../lib/server/run-subgraph';
import { listings } from './subgraph';

void runSubgraph(listings);
