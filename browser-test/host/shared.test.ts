import { GRAFANA_SHARED } from '../../src/build/sharedModules';
import { SHARED_MODULES } from './shared';

it('shares exactly the modules the build leaves external', () => {
  expect(Object.keys(SHARED_MODULES).sort()).toEqual([...GRAFANA_SHARED].sort());
  for (const [name, mod] of Object.entries(SHARED_MODULES)) {
    expect(mod, name).toBeTruthy();
  }
});
