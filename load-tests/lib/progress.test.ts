import { describe, expect, it } from 'vitest';
import { progressLine } from './progress.ts';

describe('the progress line', () => {
  it('shows elapsed time, the phase, the rate, p99 and the outcome mix', () => {
    const line = progressLine(
      12.4,
      'claims, round 2',
      new Map([
        [201, 90],
        [0, 1],
        [409, 9],
      ]),
      [1, 2, 3, 40],
    );
    expect(line).toMatch(/^\[ {2}12s\] claims, round 2 +4\/s {2}p99 +40\.0 ms {2}\| err 1, 201 90, 409 9$/);
  });
});
