import { startLoneSubgraph, type LoneSubgraph } from '../../../lib/testing/lone-subgraph';
import { QueryAnalyzer, analyzeWhole } from '../search/analysis';
import { listings } from '../subgraph';

/**
 * Plain-word queries are analysed word by word from remembered lexemes; every answer must be what
 * PostgreSQL's websearch_to_tsquery makes of the whole query, on PostgreSQL and on the embedded default.
 */
let lone: LoneSubgraph;
beforeAll(async () => {
  lone = await startLoneSubgraph(listings);
});
afterAll(() => lone?.stop());

const QUERIES = [
  'lamp',
  'Lamps',
  'desk lamp',
  'Running SHOES',
  'the lamp',
  'lamp the',
  'the a an',
  'lamp lamps',
  'lamps lamp desk',
  'Lamp   desk\tchair',
  'wooden chair with cushions',
  'a b c d e f g h',
  'running runner runs ran',
  'cafe',
  'zyxwv qwerty',
];

test('word by word, plain queries read as PostgreSQL reads them whole', async () => {
  const db = lone.subgraph.db;
  const analyzer = new QueryAnalyzer(db);
  for (const query of QUERIES) expect({ query, ...(await analyzer.analyze(query)) }).toEqual({ query, ...(await analyzeWhole(db, query)) });
});

test('remembered words cost no statement; anything but plain words is asked whole', async () => {
  const db = lone.subgraph.db;
  const analyzer = new QueryAnalyzer(db);
  await analyzer.analyze('desk lamp');
  const statements = await lone.statements(async () => {
    expect((await analyzer.analyze('lamp desk')).pair).toEqual(['desk', 'lamp']);
    expect((await analyzer.analyze('Desk  LAMP')).tsquery).toBe("'desk' & 'lamp'");
  });
  expect(statements).toEqual([]);
  for (const query of ['lamp or desk', 'lamp -desk', '"desk lamp"', 'lamp2', 'café lamp', 'e-mail']) {
    const asked = await lone.statements(() => analyzer.analyze(query));
    expect({ query, statements: asked.length }).toEqual({ query, statements: 1 });
    expect({ query, ...(await analyzer.analyze(query)) }).toEqual({ query, ...(await analyzeWhole(db, query)) });
  }
});
