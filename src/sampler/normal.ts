// The normal distribution as the Parzen estimators need it: draws from a truncated
// normal and the log of the probability mass between two points, accurate far into the
// tails (a kernel 30 standard deviations away still gives a finite log mass, so a
// mixture's log-sum-exp never sees log(0) - log(0)).

const LOG_2 = Math.LN2;
const SQRT1_2 = Math.SQRT1_2;
export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log(erfc(x)) for x >= 0, from the Chebyshev fit of Numerical Recipes (erfcc:
 * relative error below 1.2e-7 everywhere). Written as -x² + log t + poly(t), so it never
 * underflows: erfc(30) is 1e-393, its log is -903.4.
 */
function logErfcNonNegative(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + poly;
}

/** log of the standard normal's upper tail, P(Z > z), for z >= 0. */
function logUpperTail(z: number): number {
  return logErfcNonNegative(z * SQRT1_2) - LOG_2;
}

/** log(e^a - e^b) for a >= b. */
function logDiffExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  return a + Math.log(-Math.expm1(b - a));
}

/**
 * log(Φ(b) - Φ(a)), the standard normal's mass on [a, b] (a < b). An interval narrow
 * next to its distance from the centre is integrated by series: the density at its
 * midpoint m times its width w times 1 + (m² - 1)w²/24 + (m⁴ - 6m² + 3)w⁴/1920 (the
 * next term is below 1e-7 relative where it is used), which needs no erfc and keeps its
 * precision where a difference of two tails would cancel. Otherwise each side of zero is
 * computed from the tail it lies in, so an interval far out keeps its precision too.
 */
export function logNormalMass(a: number, b: number): number {
  if (!(b > a)) return -Infinity;
  const width = b - a;
  const mid = 0.5 * (a + b);
  if (width < 0.2 && Math.abs(mid) * width < 0.4) {
    const m2 = mid * mid;
    const w2 = width * width;
    return -0.5 * m2 - LOG_SQRT_2PI + Math.log(width) + Math.log1p(((m2 - 1) * w2) / 24 + ((m2 * m2 - 6 * m2 + 3) * w2 * w2) / 1920);
  }
  if (a >= 0) return logDiffExp(logUpperTail(a), logUpperTail(b));
  if (b <= 0) return logDiffExp(logUpperTail(-b), logUpperTail(-a));
  // Straddles zero: 1 - lower tail - upper tail, at least Φ's mass on a half-interval.
  return Math.log(-Math.expm1(logUpperTail(-a)) - Math.exp(logUpperTail(b)));
}

/** A standard normal draw from two uniforms (Box–Muller; the second variate is dropped so each draw costs exactly two). */
export function standardNormal(rng: () => number): number {
  const u1 = 1 - rng(); // (0, 1]: log(u1) is finite
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A standard normal draw conditioned on [a, b], by rejection. The Parzen estimators only
 * truncate kernels whose centre lies inside the bounds and whose width is at most the
 * range, so the interval holds at least Φ(1) - Φ(0) = 34% of the mass and fewer than
 * three draws are needed on average; an interval with almost no mass (not produced here)
 * gets a uniform draw rather than an endless loop.
 */
export function truncatedStandardNormal(rng: () => number, a: number, b: number): number {
  for (let i = 0; i < 256; i++) {
    const z = standardNormal(rng);
    if (z >= a && z <= b) return z;
  }
  return a + rng() * (b - a);
}
