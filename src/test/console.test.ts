import { checkConsole } from './console';

/* eslint-disable no-console -- writing to the console is what is tested */
describe('the console check every test runs after it (setup.ts)', () => {
  it('fails on console.error and console.warn, naming each message, and starts afresh', () => {
    console.error('Warning: An update to %s inside a test was not wrapped in act(...).', 'QueryEditor');
    console.warn('Your app is using an outdated JSX transform.');
    expect(() => checkConsole()).toThrow(
      /console\.error: Warning: An update to QueryEditor inside a test was not wrapped in act\(\.\.\.\)\.\nconsole\.warn: Your app is using an outdated JSX transform\./
    );
    expect(() => checkConsole()).not.toThrow();
  });

  it('passes a test that writes nothing, or only console.log', () => {
    console.log('progress');
    expect(() => checkConsole()).not.toThrow();
  });
});
