import type { DataSource } from 'typeorm';
import type { Viewer } from '../../lib/auth/viewer';
import type { ReputationLoaders } from './loaders';
import type { ModerationService } from './moderation';
import type { ReportsService } from './reports';
import type { ReviewsService } from './service';

export interface ReputationContext {
  viewer: Viewer | null;
  /** For what reads the database directly (accounts' internal questions about a user). */
  db: DataSource;
  reviews: ReviewsService;
  reports: ReportsService;
  moderation: ModerationService;
  /** Fresh per request, so that every seller, review and order of one request costs one query per kind. */
  loaders: ReputationLoaders;
}
