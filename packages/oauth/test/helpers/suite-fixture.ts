import { afterAll, beforeAll } from "vitest";

/**
 * One value for a whole test file (or `describe`), made in `beforeAll` and,
 * with `dispose`, disposed of in `afterAll`. The object returned is empty
 * until `beforeAll` has run, then holds the properties of what `make()`
 * returned (a plain object), so the file keeps it in a `const` instead of a
 * `let` that its own hooks assign and close.
 */
export function suiteFixture<T extends object>(make: () => Promise<T>, dispose?: (value: T) => Promise<void>): T {
  const fixture = {} as T;
  let made: T | undefined;
  beforeAll(async () => {
    made = await make();
    Object.assign(fixture, made);
  });
  if (dispose) {
    afterAll(async () => {
      if (made !== undefined) await dispose(made);
    });
  }
  return fixture;
}
