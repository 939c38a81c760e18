// @vitest-environment node
import { absoluteReadme } from '../../vite.config';

const REPO = 'https://github.com/o/r';

describe("the README copied into dist/, which Grafana shows on the plugin's page", () => {
  it.each([
    ['a document', 'see [the contract](docs/contract.md).', `see [the contract](${REPO}/blob/v1.2.3/docs/contract.md).`],
    ['an image', '![Query editor](docs/img/q.png)', `![Query editor](${REPO}/raw/v1.2.3/docs/img/q.png)`],
    ['a ./ path', '[c](./CONTRIBUTING.md)', `[c](${REPO}/blob/v1.2.3/CONTRIBUTING.md)`],
    ['an anchor', '[below](#configuration)', '[below](#configuration)'],
    ['an absolute link', '[Grafana](https://grafana.com/docs/)', '[Grafana](https://grafana.com/docs/)'],
    ['a mail address', '[us](mailto:a@b.c)', '[us](mailto:a@b.c)'],
    ['code that is no link', '`f(x)[0]`', '`f(x)[0]`'],
  ])('%s', (_name, markdown, want) => {
    expect(absoluteReadme(markdown, REPO, '1.2.3')).toBe(want);
  });
});
