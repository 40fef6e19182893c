import { buildSchema } from '../../lib/server/build-schema';
import { sendJson } from '../../lib/server/http';
import type { SubgraphModule } from '../../lib/server/subgraph-module';
import { defaultPort, loadTypeDefs } from '../../schema/subgraphs';
import { accountsConfig } from './config';
import { accountsLoaders, type AccountsContext } from './context';
import { AddressBook } from './addresses';
import { AddressEntity, SellerEntity, UserEntity } from './entities';
import { Accounts1732000000000 } from './migrations/1732000000000-accounts';
import { Addresses1732000000010 } from './migrations/1732000000010-addresses';
import { Operators1732000000020 } from './migrations/1732000000020-operators';
import { AccountSecurity1732000000030 } from './migrations/1732000000030-account-security';
import { SellerStatus1732000000500 } from './migrations/1732000000500-seller-status';
import { AuditLog1732000000600 } from './migrations/1732000000600-audit-log';
import { AuditLogQueries } from './audit-queries';
import { onAccountsEvent } from './consumers';
import { AccountSecurity } from './account-security';
import { accountPages } from './account-pages';
import { AccountPrivacy } from './privacy';
import { Credentials } from './credentials';
import { OneTimeLinks } from './one-time-links';
import { Sessions } from './sessions';
import { TwoFactor } from './two-factor';
import { DEFAULT_COST } from './passwords';
import { resolvers } from './resolvers';
import { SellerStanding } from './seller-standing';
import { AccountsService } from './service';
import { TokenIssuer } from './tokens';

export const accounts: SubgraphModule<AccountsContext> = {
  name: 'accounts',
  defaultPort: defaultPort('accounts'),
  entities: [UserEntity, SellerEntity, AddressEntity],
  migrations: [Accounts1732000000000, Addresses1732000000010, Operators1732000000020, AccountSecurity1732000000030, SellerStatus1732000000500, AuditLog1732000000600],
  async create({ db, env, bus, outbox, publicUrl, logger, internal }) {
    const config = accountsConfig(env);
    const tokens = await TokenIssuer.create(config, env);
    const sessions = new Sessions(db, config.refreshTokenTtlDays);
    const credentials = new Credentials(tokens, sessions);
    const links = new OneTimeLinks(publicUrl);
    const twoFactor = new TwoFactor(config.totpIssuer);
    const service = new AccountsService(db, credentials, { ...DEFAULT_COST, logN: config.passwordLogN }, outbox, links, twoFactor);
    const security = new AccountSecurity(db, service, credentials, sessions, links, twoFactor, outbox);
    const privacy = new AccountPrivacy(db, internal, service, sessions, outbox);
    const addresses = new AddressBook(db);
    const standing = new SellerStanding(db, outbox);
    const auditLog = new AuditLogQueries(db);
    return {
      name: 'accounts',
      schema: buildSchema(loadTypeDefs('accounts'), resolvers),
      context: (viewer) => ({
        viewer,
        selves: new Set(viewer ? [viewer.userId] : []),
        accounts: service,
        security,
        privacy,
        addresses,
        standing,
        auditLog,
        loaders: accountsLoaders(db),
      }),
      routes: {
        '/.well-known/jwks.json': (_req, res) => sendJson(res, 200, tokens.jwks, { 'cache-control': 'max-age=300' }),
        ...accountPages(security, logger),
      },
      async background() {
        // the audit log's appends: every subgraph's AuditRecorded events, this one's own among them
        return bus.subscribe('accounts', (event) => onAccountsEvent(db, event));
      },
    };
  },
};
