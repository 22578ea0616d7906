// Preloaded with `node --import` into a service process to give it a skewed clock: Date.now() runs
// CLOCK_SKEW_MS ahead (negative: behind). The clock-skew test uses it to show that instances with wrong
// clocks still agree on when a campaign opens: that is decided by Redis' clock.
const skew = Number(process.env.CLOCK_SKEW_MS ?? 0);
const real = Date.now;
Date.now = () => real() + skew;
