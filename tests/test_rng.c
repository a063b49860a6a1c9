/* tests/test_rng.c — xoshiro256** seeded by splitmix64: streams, known values, distributions. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"

#define NDRAW 1000000

static void test_same_seed_same_stream(void)
{
    vem_rng a, b;
    vem_rng_seed(&a, 2385);
    vem_rng_seed(&b, 2385);
    int same = 1;
    for (int i = 0; i < 1000; i++)
        same &= vem_rng_next(&a) == vem_rng_next(&b);
    CHECK(same);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
}

static void test_different_seeds_differ(void)
{
    vem_rng a, b;
    vem_rng_seed(&a, 42);
    vem_rng_seed(&b, 43);
    int equal = 0;
    for (int i = 0; i < 1000; i++)
        equal += vem_rng_next(&a) == vem_rng_next(&b);
    CHECK(equal == 0);

    /* Seed 0 must not give the all-zero state, on which xoshiro is stuck at 0. */
    vem_rng z;
    vem_rng_seed(&z, 0);
    CHECK((z.s[0] | z.s[1] | z.s[2] | z.s[3]) != 0);
    CHECK(vem_rng_next(&z) != 0 || vem_rng_next(&z) != 0);
}

/*
 * Reference values from an independent Python implementation of splitmix64
 * seeding and xoshiro256** (Blackman & Vigna 2018), seed 42:
 *
 * python3 -c "M=2**64-1;R=lambda x,k:(x<<k|x>>64-k)&M;A=lambda z,a,m:(z^z>>a)*m&M;X=lambda z:(lambda y:y^y>>31)(A(A(z,30,0xbf58476d1ce4e5b9),27,0x94d049bb133111eb));s=[X((42+i*0x9e3779b97f4a7c15)&M) for i in (1,2,3,4)];S=lambda s:[s[0]^s[1]^s[3],s[0]^s[1]^s[2],s[0]^s[2]^(s[1]<<17&M),R(s[1]^s[3],45)];[print(hex(R(s[1]*5&M,7)*9&M)) or (s:=S(s)) for _ in range(3)]"
 */
static void test_known_values(void)
{
    vem_rng r;
    vem_rng_seed(&r, 42);
    CHECK(vem_rng_next(&r) == UINT64_C(0x15780b2e0c2ec716));
    CHECK(vem_rng_next(&r) == UINT64_C(0x6104d9866d113a7e));
    CHECK(vem_rng_next(&r) == UINT64_C(0xae17533239e499a1));
}

static void test_uniform(void)
{
    vem_rng r;
    vem_rng_seed(&r, 7);
    double sum = 0, sum2 = 0;
    int in_range = 1;
    for (int i = 0; i < NDRAW; i++) {
        double u = vem_rng_uniform(&r);
        in_range &= u >= 0.0 && u < 1.0;
        sum += u;
        sum2 += u * u;
    }
    double n = NDRAW, mean = sum / n, var = sum2 / n - mean * mean;
    CHECK(in_range);
    /* U(0,1): mean 1/2, variance 1/12, fourth central moment 1/80. */
    CHECK_ABS(mean, 0.5, 4 * sqrt(1.0 / 12 / n));
    CHECK_ABS(var, 1.0 / 12, 4 * sqrt((1.0 / 80 - 1.0 / 144) / n));
}

/* Pearson chi-square of counts[0..n) against a uniform expectation. */
static double chi_square(const size_t *counts, uint64_t n, size_t total)
{
    double expect = (double)total / (double)n, x2 = 0;
    for (uint64_t i = 0; i < n; i++) {
        double dev = (double)counts[i] - expect;
        x2 += dev * dev / expect;
    }
    return x2;
}

static void test_below(void)
{
    vem_rng r;
    vem_rng_seed(&r, 11);
    static const uint64_t ns[] = {1, 2, 3, 5, 7, 10, 17};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        uint64_t n = ns[t];
        size_t counts[17] = {0}, total = 20000 * (size_t)n;
        int below = 1;
        for (size_t i = 0; i < total; i++) {
            uint64_t v = vem_rng_below(&r, n);
            below &= v < n;
            if (v < n)
                counts[v]++;
        }
        CHECK(below);
        /* chi-square with n - 1 degrees of freedom: mean df, sd sqrt(2 df); 6 sd is far out. */
        double df = (double)(n - 1);
        CHECK(chi_square(counts, n, total) <= df + 6 * sqrt(2 * df));
    }

    /* Large n, where rejection happens often (n = 3 * 2^62 rejects a quarter of draws). */
    static const uint64_t big[] = {UINT64_C(3) << 62, UINT64_MAX, (UINT64_C(1) << 63) + 1};
    for (size_t t = 0; t < sizeof big / sizeof big[0]; t++) {
        int below = 1;
        size_t upper = 0;
        for (int i = 0; i < 100000; i++) {
            uint64_t v = vem_rng_below(&r, big[t]);
            below &= v < big[t];
            upper += v >= big[t] / 2;
        }
        CHECK(below);
        /* Half of the draws above n / 2: binomial sd is 158 over 1e5 draws. */
        CHECK(upper > 50000 - 4 * 158 && upper < 50000 + 4 * 158);
    }
}

static void test_normal(void)
{
    vem_rng r;
    vem_rng_seed(&r, 13);
    double sum = 0, sum2 = 0;
    int finite = 1;
    for (int i = 0; i < NDRAW; i++) {
        double z = vem_rng_normal(&r);
        finite &= isfinite(z);
        sum += z;
        sum2 += z * z;
    }
    double n = NDRAW, mean = sum / n, var = sum2 / n - mean * mean;
    CHECK(finite);
    /* N(0,1): the sample variance has standard error sqrt(2 / n). */
    CHECK_ABS(mean, 0.0, 4 / sqrt(n));
    CHECK_ABS(var, 1.0, 4 * sqrt(2 / n));
}

static void test_jump(void)
{
    vem_rng a, b, c;
    vem_rng_seed(&a, 99);
    b = a;
    c = a;
    vem_rng_jump(&b);
    vem_rng_jump(&c);
    CHECK(memcmp(&b, &c, sizeof b) == 0); /* deterministic */
    CHECK(memcmp(&a, &b, sizeof a) != 0);
    int equal = 0;
    for (int i = 0; i < 1000; i++)
        equal += vem_rng_next(&a) == vem_rng_next(&b);
    CHECK(equal == 0);
}

int main(void)
{
    test_same_seed_same_stream();
    test_different_seeds_differ();
    test_known_values();
    test_uniform();
    test_below();
    test_normal();
    test_jump();
    return check_report("rng");
}
