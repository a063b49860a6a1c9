/*
 * src/models/vae.c — the variational autoencoder as a gradient model (vae.h,
 * docs/vae.md).
 *
 * One batch of n rows and L draws each: the encoder on the n rows (n x 2 latent:
 * mu, log sigma^2), z = mu + sigma eps for the n L (row, draw) pairs (row-major,
 * draw fastest), the decoder on the n L rows, the log-likelihood, the analytic KL;
 * then, for the gradient, backpropagation through the same buffers: the decoder
 * (weight gradients G^T H by one GEMM per layer), the reparameterisation
 * (d z / d mu = 1, d z / d log sigma^2 = sigma eps / 2, plus the KL's own terms),
 * the encoder. The network runs in vae_real (float32; double with
 * -DVEM_VAE_DOUBLE), its gradient too (the engine's float ESS, model.h: sgemm adds
 * each slot's weight gradients in place); the per-row objectives are double.
 *
 * Weights are stored in x out (h_out = h_in W + b): the forward pass is X W, the
 * weight gradient X^T G, the input gradient G W^T.
 */
#include <vem/vae.h>

#include <math.h>
#include <string.h>

#include "internal.h"
#include "linalg/linalg.h"
#include "models/vae_kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define LOG_2PI 1.8378770664093454836

struct vem_vae {
    size_t d, latent, nh;
    size_t *hidden;
    vem_vae_likelihood lik;
    vem_vae_activation act;
    size_t samples;
    int binarize;
    size_t nl;          /* layers: nh + 1 encoder, nh + 1 decoder */
    size_t *lin, *lout; /* per layer: inputs, outputs */
    size_t *woff;       /* per layer: offset of W (lin x lout), then the bias (lout) */
    size_t lv_off;      /* Gaussian: offset of the d log-variances */
    size_t np;          /* parameters */
    size_t maxw;        /* widest layer input or output */
    vae_real *w;        /* the parameters */
    uint64_t key;       /* the pass's noise key (noise_key) */
    uint64_t first;     /* the pass data's first unit among all processes' (noise_key) */
};

/* ------------------------------------------------------------ names */

const char *vem_vae_likelihood_name(vem_vae_likelihood l)
{
    return l == VEM_VAE_BERNOULLI ? "bernoulli" : l == VEM_VAE_GAUSSIAN ? "gaussian" : NULL;
}

const char *vem_vae_activation_name(vem_vae_activation a)
{
    return a == VEM_VAE_RELU       ? "relu"
           : a == VEM_VAE_TANH     ? "tanh"
           : a == VEM_VAE_SOFTPLUS ? "softplus"
                                   : NULL;
}

vem_status vem_vae_likelihood_parse(const char *name, vem_vae_likelihood *out)
{
    for (int i = 0; i <= 1; i++)
        if (name && strcmp(name, vem_vae_likelihood_name((vem_vae_likelihood)i)) == 0) {
            *out = (vem_vae_likelihood)i;
            return VEM_OK;
        }
    return VEM_FAIL(VEM_EINVAL, "unknown likelihood '%s' (bernoulli, gaussian)",
                    name ? name : "(null)");
}

vem_status vem_vae_activation_parse(const char *name, vem_vae_activation *out)
{
    for (int i = 0; i <= 2; i++)
        if (name && strcmp(name, vem_vae_activation_name((vem_vae_activation)i)) == 0) {
            *out = (vem_vae_activation)i;
            return VEM_OK;
        }
    return VEM_FAIL(VEM_EINVAL, "unknown activation '%s' (relu, tanh, softplus)",
                    name ? name : "(null)");
}

/* ------------------------------------------------------- construction */

void vem_vae_free(vem_vae *v)
{
    if (!v)
        return;
    vem__free(v->hidden);
    vem__free(v->lin);
    vem__free(v->lout);
    vem__free(v->woff);
    vem__free(v->w);
    vem__free(v);
}

vem_vae *vem_vae_new(size_t d, size_t latent, const size_t *hidden, size_t n_hidden,
                     vem_vae_likelihood lik, vem_vae_activation act)
{
    if (d == 0 || latent == 0 || (n_hidden && !hidden) || !vem_vae_likelihood_name(lik) ||
        !vem_vae_activation_name(act) || n_hidden > 64) {
        VEM_FAIL(VEM_EINVAL, "vem_vae_new: d=%zu latent=%zu n_hidden=%zu: invalid", d, latent,
                 n_hidden);
        return NULL;
    }
    for (size_t i = 0; i < n_hidden; i++)
        if (hidden[i] == 0 || hidden[i] > 1000000) {
            VEM_FAIL(VEM_EINVAL, "vem_vae_new: hidden layer %zu has %zu units", i + 1, hidden[i]);
            return NULL;
        }
    if (d > 100000000 || latent > 1000000) {
        VEM_FAIL(VEM_EINVAL, "vem_vae_new: d=%zu latent=%zu too large", d, latent);
        return NULL;
    }
    vem_vae *v = vem__calloc(1, sizeof *v);
    if (!v)
        goto oom;
    v->d = d;
    v->latent = latent;
    v->nh = n_hidden;
    v->lik = lik;
    v->act = act;
    v->samples = 1;
    v->nl = 2 * (n_hidden + 1);
    v->hidden = vem__calloc(n_hidden + 1, sizeof *v->hidden);
    v->lin = vem__calloc(v->nl, sizeof *v->lin);
    v->lout = vem__calloc(v->nl, sizeof *v->lout);
    v->woff = vem__calloc(v->nl, sizeof *v->woff);
    if (!v->hidden || !v->lin || !v->lout || !v->woff)
        goto oom;
    if (n_hidden)
        memcpy(v->hidden, hidden, n_hidden * sizeof *hidden);
    /* Encoder widths d, h0, ..., h_{nh-1}, 2 latent; decoder latent, h_{nh-1}, ..., h0, d. */
    const size_t ne = n_hidden + 1;
    for (size_t i = 0; i < ne; i++) {
        v->lin[i] = i == 0 ? d : hidden[i - 1];
        v->lout[i] = i == n_hidden ? 2 * latent : hidden[i];
        v->lin[ne + i] = i == 0 ? latent : hidden[n_hidden - i];
        v->lout[ne + i] = i == n_hidden ? d : hidden[n_hidden - 1 - i];
    }
    size_t off = 0;
    for (size_t l = 0; l < v->nl; l++) {
        v->woff[l] = off;
        off += v->lout[l] * (v->lin[l] + 1);
        v->maxw = vem__max(v->maxw, vem__max(v->lin[l], v->lout[l]));
    }
    v->lv_off = off;
    if (lik == VEM_VAE_GAUSSIAN)
        off += d;
    v->np = off;
    v->w = vem__calloc(off, sizeof *v->w);
    if (!v->w)
        goto oom;
    return v;
oom:
    vem_vae_free(v);
    VEM_FAIL(VEM_ENOMEM, "vem_vae_new(d=%zu, latent=%zu)", d, latent);
    return NULL;
}

size_t vem_vae_d(const vem_vae *v) { return v->d; }
size_t vem_vae_latent(const vem_vae *v) { return v->latent; }
size_t vem_vae_n_hidden(const vem_vae *v) { return v->nh; }
const size_t *vem_vae_hidden(const vem_vae *v) { return v->hidden; }
vem_vae_likelihood vem_vae_likelihood_of(const vem_vae *v) { return v->lik; }
vem_vae_activation vem_vae_activation_of(const vem_vae *v) { return v->act; }
size_t vem_vae_samples(const vem_vae *v) { return v->samples; }
int vem_vae_binarize(const vem_vae *v) { return v->binarize; }
size_t vem_vae_params_len(const vem_vae *v) { return v->np; }

vem_status vem_vae_set_samples(vem_vae *v, size_t samples)
{
    if (samples == 0 || samples > 100000)
        return VEM_FAIL(VEM_EINVAL, "samples=%zu must be in [1, 100000]", samples);
    v->samples = samples;
    return VEM_OK;
}

vem_status vem_vae_set_binarize(vem_vae *v, int mode)
{
    if (mode < 0 || mode > 2)
        return VEM_FAIL(VEM_EINVAL, "binarisation mode %d (0 none, 1 dynamic, 2 static)", mode);
    if (mode == 1 && v->lik != VEM_VAE_BERNOULLI)
        return VEM_FAIL(VEM_EINVAL, "dynamic binarisation needs the Bernoulli likelihood");
    v->binarize = mode;
    return VEM_OK;
}

void vem_vae_get_params(const vem_vae *v, double *out)
{
    for (size_t i = 0; i < v->np; i++)
        out[i] = (double)v->w[i];
}

vem_status vem_vae_set_params(vem_vae *v, const double *in)
{
    for (size_t i = 0; i < v->np; i++)
        if (!isfinite(in[i]) || !isfinite((double)(vae_real)in[i]))
            return VEM_FAIL(VEM_EINVAL, "VAE parameter %zu is %g: not finite in %s", i, in[i],
                            sizeof(vae_real) == sizeof(float) ? "float32" : "double");
    for (size_t i = 0; i < v->np; i++)
        v->w[i] = (vae_real)in[i];
    return VEM_OK;
}

vem_status vem_vae_init_params(vem_vae *v, vem_rng *rng)
{
    for (size_t l = 0; l < v->nl; l++) {
        const double bound = 1.0 / sqrt((double)v->lin[l]);
        const size_t n = v->lout[l] * (v->lin[l] + 1);
        for (size_t i = 0; i < n; i++)
            v->w[v->woff[l] + i] = (vae_real)(bound * (2 * vem_rng_uniform(rng) - 1));
    }
    if (v->lik == VEM_VAE_GAUSSIAN)
        memset(v->w + v->lv_off, 0, v->d * sizeof *v->w);
    return VEM_OK;
}

/* ------------------------------------------------------------ noise */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The generator of row u under key: depends on (key, u) alone. */
static void row_rng(vem_rng *r, uint64_t key, size_t u)
{
    vem_rng_seed(r, mix64(key ^ mix64((uint64_t)u + 0x9e3779b97f4a7c15ULL)));
}

/* ---------------------------------------------------------- buffers */

/* Buffers of one batch of n rows and L draws (R = n L decoder rows), in vae_real. */
typedef struct layout {
    vae_real *x;        /* n x d */
    vae_real *enc[65];  /* encoder layer outputs, n x lout */
    vae_real *sig;      /* n x latent: sigma */
    vae_real *eps, *z;  /* R x latent */
    vae_real *dec[65];  /* decoder layer outputs, R x lout */
    vae_real *ga, *gb;  /* R x maxw each */
    vae_real *t;        /* d */
    size_t len;         /* vae_reals in all */
} layout;

static void lay_out(const vem_vae *v, size_t n, size_t L, vae_real *base, layout *y)
{
    const size_t ne = v->nh + 1, r = n * L;
    size_t o = 0;
#define TAKE(p, cnt)                                                                           \
    do {                                                                                       \
        (p) = base ? base + o : NULL;                                                          \
        o += ((cnt) + 15) / 16 * 16; /* 64-byte multiples */                                   \
    } while (0)
    TAKE(y->x, n * v->d);
    for (size_t i = 0; i < ne; i++)
        TAKE(y->enc[i], n * v->lout[i]);
    TAKE(y->sig, n * v->latent);
    TAKE(y->eps, r * v->latent);
    TAKE(y->z, r * v->latent);
    for (size_t i = 0; i < ne; i++)
        TAKE(y->dec[i], r * v->lout[ne + i]);
    TAKE(y->ga, r * v->maxw);
    TAKE(y->gb, r * v->maxw);
    TAKE(y->t, v->d);
#undef TAKE
    y->len = o;
}

static size_t reals_to_doubles(size_t n)
{
    return (n * sizeof(vae_real) + sizeof(double) - 1) / sizeof(double) + 8;
}

/* ---------------------------------------------------------- forward */

/* out (n x lout) = act(in W + b) of layer l. */
static void layer_forward(const vem_vae *v, size_t l, const vae_real *in, size_t n, vae_real *out,
                          int activate)
{
    const size_t ni = v->lin[l], no = v->lout[l];
    const vae_real *w = v->w + v->woff[l], *b = w + no * ni;
    for (size_t r = 0; r < n; r++)
        memcpy(out + r * no, b, no * sizeof *out);
    vae_gemm('N', 'N', n, no, ni, 1, in, ni, w, no, 1, out, no);
    if (activate)
        vae_act_forward((int)v->act, n * no, out);
}

/* Encoder on y->x (n rows): enc[nh] holds (mu, log sigma^2), y->sig sigma. */
static void encode_fwd(const vem_vae *v, size_t n, layout *y)
{
    const size_t ne = v->nh + 1, k = v->latent;
    const vae_real *h = y->x;
    for (size_t i = 0; i < ne; i++) {
        layer_forward(v, i, h, n, y->enc[i], i < v->nh);
        h = y->enc[i];
    }
    const vae_real *e = y->enc[v->nh];
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < k; j++)
            y->sig[r * k + j] = (vae_real)0.5 * e[r * 2 * k + k + j];
    vae_exp(n * k, y->sig, y->sig);
}

/* Decoder on y->z (R rows): dec[nh] holds the logits or means. */
static void decode_fwd(const vem_vae *v, size_t rr, layout *y)
{
    const size_t ne = v->nh + 1;
    const vae_real *h = y->z;
    for (size_t i = 0; i < ne; i++) {
        layer_forward(v, ne + i, h, rr, y->dec[i], i < v->nh);
        h = y->dec[i];
    }
}

/* log p(x | z) of decoder row q for data row xr; g non-NULL: its gradient with respect
 * to the decoder's output, times scale, and the Gaussian log-variances' into grad. */
static double loglik(const vem_vae *v, const vae_real *xr, const vae_real *a, vae_real *g,
                     vae_real scale, vae_real *t, vae_real *grad)
{
    const size_t d = v->d;
    if (v->lik == VEM_VAE_BERNOULLI)
        return vae_bernoulli(d, xr, a, g, scale, t);
    const vae_real *s = v->w + v->lv_off;
    vae_exp(d, s, t); /* sigma^2 */
    double ll = 0;
    for (size_t j = 0; j < d; j++) {
        const vae_real e = xr[j] - a[j], pr = 1 / t[j];
        ll += -0.5 * (LOG_2PI + (double)s[j] + (double)(e * e * pr));
        if (g) {
            g[j] = scale * e * pr;
            grad[v->lv_off + j] += scale * ((vae_real)-0.5 + (vae_real)0.5 * (e * e * pr));
        }
    }
    return ll;
}

/* grad[W of layer l] += H^T G (H rows x lin, G rows x lout), in place by sgemm;
 * grad[b] += G's column sums. */
static void layer_grad(const vem_vae *v, size_t l, const vae_real *g, const vae_real *h,
                       size_t rows, vae_real *grad)
{
    const size_t ni = v->lin[l], no = v->lout[l];
    vae_real *gr = grad + v->woff[l];
    vae_gemm('T', 'N', ni, no, rows, 1, h, ni, g, no, 1, gr, no);
    vae_real *restrict gb = gr + no * ni;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < no; c++)
            gb[c] += g[r * no + c];
}

/*
 * One batch: y->x (n rows) and y->eps (n L draws) filled. Returns the sum of the rows'
 * ELBO estimates, per row into rows (or NULL); grad non-NULL: adds its gradient.
 */
static double batch(const vem_vae *v, size_t n, size_t L, layout *y, vae_real *grad,
                    double *rows)
{
    const size_t k = v->latent, d = v->d, ne = v->nh + 1, rr = n * L;
    encode_fwd(v, n, y);
    const vae_real *e = y->enc[v->nh];
    for (size_t r = 0; r < n; r++)
        for (size_t l = 0; l < L; l++)
            for (size_t j = 0; j < k; j++) {
                const size_t q = (r * L + l) * k + j;
                y->z[q] = e[r * 2 * k + j] + y->sig[r * k + j] * y->eps[q];
            }
    decode_fwd(v, rr, y);
    const vae_real *a = y->dec[v->nh];
    const vae_real scale = (vae_real)(1.0 / (double)L);
    double total = 0;
    for (size_t r = 0; r < n; r++) {
        double ll = 0, kl = 0;
        for (size_t l = 0; l < L; l++) {
            const size_t q = r * L + l;
            ll += loglik(v, y->x + r * d, a + q * d, grad ? y->ga + q * d : NULL, scale, y->t,
                         grad);
        }
        for (size_t j = 0; j < k; j++) {
            const double mu = e[r * 2 * k + j], lv = e[r * 2 * k + k + j];
            const double s = y->sig[r * k + j];
            kl += 0.5 * (mu * mu + s * s - 1 - lv);
        }
        const double elbo = ll / (double)L - kl;
        if (rows)
            rows[r] = elbo;
        total += elbo;
    }
    if (!grad)
        return total;
    /* Decoder, from its output back to z. */
    vae_real *g = y->ga, *gn = y->gb;
    for (size_t i = ne; i-- > 0;) {
        const size_t l = ne + i;
        const vae_real *h = i == 0 ? y->z : y->dec[i - 1];
        layer_grad(v, l, g, h, rr, grad);
        vae_gemm('N', 'T', rr, v->lin[l], v->lout[l], 1, g, v->lout[l], v->w + v->woff[l],
                 v->lout[l], 0, gn, v->lin[l]);
        if (i > 0)
            vae_act_backward((int)v->act, rr * v->lin[l], h, gn);
        vae_real *sw = g;
        g = gn;
        gn = sw;
    }
    /* g: d/dz (R x k). The encoder's output: mu and log sigma^2, with the KL's terms. */
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < k; j++) {
            const vae_real mu = e[r * 2 * k + j], s = y->sig[r * k + j];
            vae_real dmu = -mu, dlv = (vae_real)-0.5 * (s * s - 1);
            for (size_t l = 0; l < L; l++) {
                const size_t q = (r * L + l) * k + j;
                dmu += g[q];
                dlv += g[q] * y->eps[q] * (vae_real)0.5 * s;
            }
            gn[r * 2 * k + j] = dmu;
            gn[r * 2 * k + k + j] = dlv;
        }
    vae_real *sw = g;
    g = gn;
    gn = sw;
    for (size_t i = ne; i-- > 0;) {
        const vae_real *h = i == 0 ? y->x : y->enc[i - 1];
        layer_grad(v, i, g, h, n, grad);
        if (i == 0)
            break;
        vae_gemm('N', 'T', n, v->lin[i], v->lout[i], 1, g, v->lout[i], v->w + v->woff[i],
                 v->lout[i], 0, gn, v->lin[i]);
        vae_act_backward((int)v->act, n * v->lin[i], h, gn);
        sw = g;
        g = gn;
        gn = sw;
    }
    return total;
}

/* Fill y->x from rows [u0, u0 + n) of x and y->eps with L draws per row from
 * (key, first + u), first the data's first unit among all processes';
 * binarize 1: each x_ij replaced by a Bernoulli(x_ij) draw first; 2: by x_ij > 0.5. */
static void fill(const vem_vae *v, const vem_matrix *x, size_t u0, size_t n, size_t L,
                 uint64_t key, uint64_t first, int binarize, layout *y)
{
    const size_t d = v->d, k = v->latent;
    for (size_t r = 0; r < n; r++) {
        const double *xr = x->data + (u0 + r) * x->ld;
        vae_real *yr = y->x + r * d;
        vem_rng rng;
        row_rng(&rng, key, (size_t)first + u0 + r);
        if (binarize == 1)
            for (size_t j = 0; j < d; j++)
                yr[j] = (vae_real)(vem_rng_uniform(&rng) < xr[j]);
        else if (binarize == 2)
            for (size_t j = 0; j < d; j++)
                yr[j] = (vae_real)(xr[j] > 0.5);
        else
            for (size_t j = 0; j < d; j++)
                yr[j] = (vae_real)xr[j];
        for (size_t i = 0; i < L * k; i++)
            y->eps[r * L * k + i] = (vae_real)vem_rng_normal(&rng);
    }
}

/* ------------------------------------------------------------ model */

static size_t m_ess_len(const void *self)
{
    return ((const vem_vae *)self)->np;
}

static size_t m_scratch_len(const void *self, size_t block)
{
    const vem_vae *v = self;
    layout y;
    lay_out(v, block ? block : 1, v->samples, NULL, &y);
    return reals_to_doubles(y.len);
}

static size_t m_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->x.rows;
}

static double m_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->x.rows;
}

static double m_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                      double *scratch)
{
    const vem_vae *v = self;
    layout y;
    lay_out(v, u1 - u0, v->samples, (vae_real *)(void *)scratch, &y);
    fill(v, &x->x, u0, u1 - u0, v->samples, v->key, v->first, v->binarize, &y);
    const unsigned mode = vem__ftz_on();
    const double obj = batch(v, u1 - u0, v->samples, &y, (vae_real *)(void *)ess, NULL);
    vem__ftz_restore(mode);
    return obj;
}

static vem_status m_mstep(void *self, const double *ess)
{
    (void)self;
    (void)ess;
    return VEM_OK; /* the engine's optimiser updates the parameters (params_set) */
}

static vem_status m_init(void *self, struct vem_fit *f, vem_rng *rng)
{
    (void)f;
    return vem_vae_init_params(self, rng);
}

static size_t m_params_len(const void *self)
{
    return ((const vem_vae *)self)->np;
}

static void m_params_get(const void *self, double *out)
{
    vem_vae_get_params(self, out);
}

static vem_status m_params_set(void *self, const double *in)
{
    return vem_vae_set_params(self, in);
}

static float *m_params_f32(void *self)
{
#ifdef VEM_VAE_DOUBLE
    (void)self;
    return NULL;
#else
    return ((vem_vae *)self)->w;
#endif
}

static void m_noise_key(void *self, uint64_t key, uint64_t first)
{
    ((vem_vae *)self)->key = key;
    ((vem_vae *)self)->first = first;
}

static const vem_model_ops vae_ops = {
    .name = "vae",
    .ess_len = m_ess_len,
    .scratch_len = m_scratch_len,
    .n_units = m_n_units,
    .n_obs = m_n_obs,
    .estep = m_estep,
    .mstep = m_mstep,
    .init = m_init,
    .params_len = m_params_len,
    .params_get = m_params_get,
    .params_set = m_params_set,
    .gradient = 1,
    .noise_key = m_noise_key,
#ifndef VEM_VAE_DOUBLE
    .ess_float = 1,
#endif
    .params_f32 = m_params_f32,
};

vem_model vem_vae_model(vem_vae *v)
{
    vem_model m = {&vae_ops, v};
    return m;
}

/* ------------------------------------------------------- evaluation */

#define EVAL_ROWS 256

static vem_status check_x(const vem_vae *v, const vem_matrix *x, const char *fn)
{
    if (!v || !x || (x->rows && !x->data))
        return VEM_FAIL(VEM_EINVAL, "%s: NULL argument", fn);
    if (x->cols != v->d)
        return VEM_FAIL(VEM_EINVAL, "%s: data has %zu columns, the model d=%zu", fn, x->cols,
                        v->d);
    return VEM_OK;
}

static vae_real *alloc_layout(const vem_vae *v, size_t n, size_t L, layout *y)
{
    lay_out(v, n, L, NULL, y);
    vae_real *p = vem__calloc(y->len, sizeof *p);
    if (p)
        lay_out(v, n, L, p, y);
    return p;
}

vem_status vem_vae_elbo(const vem_vae *v, const vem_matrix *x, size_t samples, uint64_t seed,
                        double *rows, double *total)
{
    vem_status st = check_x(v, x, "vem_vae_elbo");
    if (st != VEM_OK)
        return st;
    const size_t L = samples ? samples : v->samples;
    layout y;
    vae_real *p = alloc_layout(v, EVAL_ROWS, L, &y);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "vem_vae_elbo");
    double sum = 0;
    for (size_t u0 = 0; u0 < x->rows; u0 += EVAL_ROWS) {
        const size_t n = vem__min(EVAL_ROWS, x->rows - u0);
        fill(v, x, u0, n, L, seed, 0, 0, &y);
        sum += batch(v, n, L, &y, NULL, rows ? rows + u0 : NULL);
    }
    vem__free(p);
    if (total)
        *total = sum;
    return VEM_OK;
}

#define IWAE_CHUNK 128

/* One row's IWAE bound with k draws from (seed, u); *var its delta-method variance.
 * y: a layout for 1 row and IWAE_CHUNK draws; lw: k doubles. */
static double iwae_row(const vem_vae *v, const double *xr, size_t u, size_t k, uint64_t seed,
                       layout *y, double *lw, double *var)
{
    const size_t d = v->d, lat = v->latent, c = vem__min(k, IWAE_CHUNK);
    for (size_t j = 0; j < d; j++)
        y->x[j] = (vae_real)xr[j];
    encode_fwd(v, 1, y);
    const vae_real *e = y->enc[v->nh];
    vem_rng rng;
    row_rng(&rng, seed, u);
    for (size_t s0 = 0; s0 < k; s0 += c) {
        const size_t m = vem__min(c, k - s0);
        for (size_t s = 0; s < m; s++)
            for (size_t j = 0; j < lat; j++) {
                const vae_real ep = (vae_real)vem_rng_normal(&rng);
                y->eps[s * lat + j] = ep;
                y->z[s * lat + j] = e[j] + y->sig[j] * ep;
            }
        decode_fwd(v, m, y);
        for (size_t s = 0; s < m; s++) {
            double w = loglik(v, y->x, y->dec[v->nh] + s * d, NULL, 1, y->t, NULL);
            /* log p(z) - log q(z | x); the 2 pi terms cancel. */
            for (size_t j = 0; j < lat; j++) {
                const double z = y->z[s * lat + j], ep = y->eps[s * lat + j];
                w += -0.5 * z * z + 0.5 * ep * ep + 0.5 * (double)e[lat + j];
            }
            lw[s0 + s] = w;
        }
    }
    double mx = -INFINITY;
    for (size_t s = 0; s < k; s++)
        mx = fmax(mx, lw[s]);
    double m1 = 0, m2 = 0;
    for (size_t s = 0; s < k; s++) {
        const double w = exp(lw[s] - mx);
        m1 += w;
        m2 += w * w;
    }
    m1 /= (double)k;
    m2 /= (double)k;
    /* Delta method: var(log mean w) ~ var(w) / (k mean(w)^2). */
    *var = k > 1 ? fmax(m2 / (m1 * m1) - 1, 0) / (double)(k - 1) : 0;
    return mx + log(m1);
}

vem_status vem_vae_iwae(const vem_vae *v, const vem_matrix *x, size_t k, uint64_t seed,
                        int nthreads, double *rows, double *total, double *se)
{
    vem_status st = check_x(v, x, "vem_vae_iwae");
    if (st != VEM_OK)
        return st;
    if (k == 0 || k > 100000000)
        return VEM_FAIL(VEM_EINVAL, "vem_vae_iwae: k=%zu must be in [1, 1e8]", k);
    const size_t n = x->rows;
    double *b = vem__alloc_doubles(n ? n : 1, 2); /* per row: bound, variance */
    if (!b)
        return VEM_FAIL(VEM_ENOMEM, "vem_vae_iwae(k=%zu)", k);
    int failed = 0;
    /* Rows are independent and their results are summed in row order afterwards: the
     * same bits for any thread count. BLAS runs single-threaded inside. */
    const int token = vem__blas_threads_one();
#ifdef _OPENMP
    const int nth = nthreads > 0 ? nthreads : omp_get_max_threads();
#pragma omp parallel num_threads(nth) if (nth > 1 && n > 1)
#else
    (void)nthreads;
#endif
    {
        layout y;
        vae_real *p = alloc_layout(v, 1, vem__min(k, IWAE_CHUNK), &y);
        double *lw = vem__alloc_doubles(k, 1);
        if (!p || !lw) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            failed = 1;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (long ul = 0; ul < (long)n; ul++) {
            const size_t u = (size_t)ul;
            if (p && lw)
                b[2 * u] = iwae_row(v, x->data + u * x->ld, u, k, seed, &y, lw, &b[2 * u + 1]);
        }
        vem__free(p);
        vem__free(lw);
    }
    vem__blas_threads_restore(token);
    if (failed) {
        vem__free(b);
        return VEM_FAIL(VEM_ENOMEM, "vem_vae_iwae(k=%zu)", k);
    }
    double sum = 0, var = 0;
    for (size_t u = 0; u < n; u++) {
        if (rows)
            rows[u] = b[2 * u];
        sum += b[2 * u];
        var += b[2 * u + 1];
    }
    vem__free(b);
    if (total)
        *total = sum;
    if (se)
        *se = sqrt(var);
    return VEM_OK;
}

vem_status vem_vae_encode(const vem_vae *v, const vem_matrix *x, double *mean, double *sd)
{
    vem_status st = check_x(v, x, "vem_vae_encode");
    if (st != VEM_OK)
        return st;
    const size_t d = v->d, k = v->latent;
    layout y;
    vae_real *p = alloc_layout(v, EVAL_ROWS, 1, &y);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "vem_vae_encode");
    for (size_t u0 = 0; u0 < x->rows; u0 += EVAL_ROWS) {
        const size_t n = vem__min(EVAL_ROWS, x->rows - u0);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < d; j++)
                y.x[r * d + j] = (vae_real)x->data[(u0 + r) * x->ld + j];
        encode_fwd(v, n, &y);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < k; j++) {
                if (mean)
                    mean[(u0 + r) * k + j] = y.enc[v->nh][r * 2 * k + j];
                if (sd)
                    sd[(u0 + r) * k + j] = y.sig[r * k + j];
            }
    }
    vem__free(p);
    return VEM_OK;
}

/* The decoder's means for the n rows of y->z into out (n x d). */
static void decoder_means(const vem_vae *v, size_t n, layout *y, double *out)
{
    decode_fwd(v, n, y);
    const vae_real *a = y->dec[v->nh];
    if (v->lik == VEM_VAE_BERNOULLI) {
        vae_sigmoid(n * v->d, a, y->ga); /* not in place: vae_sigmoid's p must not alias a */
        a = y->ga;
    }
    for (size_t i = 0; i < n * v->d; i++)
        out[i] = (double)a[i];
}

vem_status vem_vae_sample(const vem_vae *v, size_t n, vem_rng *rng, double *out)
{
    if (!v || !rng || (n && !out))
        return VEM_FAIL(VEM_EINVAL, "vem_vae_sample: NULL argument");
    const size_t k = v->latent;
    layout y;
    vae_real *p = alloc_layout(v, EVAL_ROWS, 1, &y);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "vem_vae_sample");
    for (size_t u0 = 0; u0 < n; u0 += EVAL_ROWS) {
        const size_t m = vem__min(EVAL_ROWS, n - u0);
        for (size_t i = 0; i < m * k; i++)
            y.z[i] = (vae_real)vem_rng_normal(rng);
        decoder_means(v, m, &y, out + u0 * v->d);
    }
    vem__free(p);
    return VEM_OK;
}

vem_status vem_vae_reconstruct(const vem_vae *v, const vem_matrix *x, double *out)
{
    vem_status st = check_x(v, x, "vem_vae_reconstruct");
    if (st != VEM_OK)
        return st;
    const size_t d = v->d, k = v->latent;
    layout y;
    vae_real *p = alloc_layout(v, EVAL_ROWS, 1, &y);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "vem_vae_reconstruct");
    for (size_t u0 = 0; u0 < x->rows; u0 += EVAL_ROWS) {
        const size_t n = vem__min(EVAL_ROWS, x->rows - u0);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < d; j++)
                y.x[r * d + j] = (vae_real)x->data[(u0 + r) * x->ld + j];
        encode_fwd(v, n, &y);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < k; j++)
                y.z[r * k + j] = y.enc[v->nh][r * 2 * k + j];
        decoder_means(v, n, &y, out + u0 * d);
    }
    vem__free(p);
    return VEM_OK;
}
