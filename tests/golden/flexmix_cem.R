# Peer reference for vem's classification EM (--algorithm cem, docs/mcem.md): R flexmix
# (Debian r-cran-flexmix and r-cran-mvtnorm; peers, not dependencies) with control
# classify = "hard", full covariances, from a fixed partition. Run from the repository root:
#   Rscript tests/golden/flexmix_cem.R > tests/golden/flexmix_cem.txt
# tests/test_mcem.c reads the output; R is not needed to run the test.
#
# The start: the rows ranked by their first column (ties by row) cut into K groups of
# consecutive ranks ("start DATA K l1 l2 ...", 1-based), as tests/golden/mclust_me.R.
# flexmix's own FLXMCmvnorm() takes each component's covariance by cov.wt(), whose default
# is the unbiased estimate (with hard weights, the scatter over n_k - 1), which is not the
# classification likelihood's maximiser (the scatter over n_k, vem's M-step): from the
# same start the two then walk to different partitions on the penguins with K = 3. So the
# model driver below is FLXMCmvnorm() with cov.wt(method = "ML"), all else flexmix's own
# hard-classification EM. Per (data, K):
#   "cem DATA K iterations loglik"        (flexmix's log-likelihood of its final fit)
#   "labels DATA K l1 ..."                (the final classification, 1-based)
#   "prior DATA K p1 ..."                 (flexmix's prior(), from its last soft posterior)
#   "center DATA K c m1 ... md"           (component c's mean)
#   "cov DATA K c s11 s12 ... sdd"        (its covariance, row-major, maximum likelihood)
suppressMessages(library(flexmix))
mvnorm_ml <- function(formula = . ~ .) {
  z <- new("FLXMC", weighted = TRUE, formula = formula, dist = "mvnorm",
           name = "model-based Gaussian clustering, ML covariances")
  z@defineComponent <- function(para) {
    logLik <- function(x, y) mvtnorm::dmvnorm(y, mean = para$center, sigma = para$cov,
                                              log = TRUE)
    predict <- function(x, ...) matrix(para$center, nrow = nrow(x), ncol = length(para$center),
                                       byrow = TRUE)
    new("FLXcomponent", parameters = list(center = para$center, cov = para$cov),
        df = para$df, logLik = logLik, predict = predict)
  }
  z@fit <- function(x, y, w, ...) {
    para <- cov.wt(y, wt = w, method = "ML")[c("center", "cov")]
    para$df <- (3 * ncol(y) + ncol(y)^2) / 2
    z@defineComponent(para)
  }
  z
}
sets <- list(
  faithful = read.csv("examples/data/faithful.csv"),
  penguins = read.csv("examples/data/penguins.csv")[, c("beak_length_mm", "beak_depth_mm",
                                                         "flipper_length_mm", "body_mass_g")])
cat(sprintf("# flexmix %s, R %s\n", packageVersion("flexmix"), getRversion()))
set.seed(1)
for (nm in names(sets)) {
  X <- as.matrix(sets[[nm]])
  n <- nrow(X)
  for (K in c(2, 3)) {
    rk <- order(X[, 1], seq_len(n))
    lab <- integer(n)
    lab[rk] <- ceiling(seq_len(n) * K / n)
    cat("start", nm, K, lab, "\n")
    f <- flexmix(X ~ 1, k = K, cluster = lab, model = mvnorm_ml(),
                 control = list(classify = "hard", iter.max = 10000, tolerance = 1e-12,
                                minprior = 0))
    p <- parameters(f)
    cat("cem", nm, K, f@iter, sprintf("%.17g", logLik(f)), "\n")
    cat("labels", nm, K, clusters(f), "\n")
    cat("prior", nm, K, sprintf("%.17g", prior(f)), "\n")
    d <- ncol(X)
    for (c in seq_len(K)) {
      cat("center", nm, K, c, sprintf("%.17g", p[1:d, c]), "\n")
      cat("cov", nm, K, c, sprintf("%.17g", p[(d + 1):(d + d * d), c]), "\n")
    }
  }
}
