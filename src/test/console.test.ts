import { checkConsole } from './console';

/* eslint-disable no-console -- writing to the console is what is tested */
describe('the console check every test runs after it (setup.ts)', () => {
  // Written on purpose, and printed as every message is: worded so no one reading the output takes them for React's.
  it('fails on console.error and console.warn, naming each message, and starts afresh', () => {
    console.error('console check: an error written on purpose, %s', 'formatted');
    console.warn('console check: a warning written on purpose');
    expect(() => checkConsole()).toThrow(
      /console\.error: console check: an error written on purpose, formatted\nconsole\.warn: console check: a warning written on purpose$/
    );
    expect(() => checkConsole()).not.toThrow();
  });
});
