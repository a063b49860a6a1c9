# Peer reference for vem's 14 covariance models: R mclust 6.0.0 (Debian
# r-cran-mclust; a peer, not a dependency). Run from the repository root:
#   Rscript tests/golden/mclust_me.R > tests/golden/mclust_me.txt
# tests/test_gmm_mclust.c reads the output; R is not needed to run the test.
#
# 1. me(): every model from the same fixed partition, one line per (data, model):
#    "me DATA MODEL K loglik n_iter". The partition ("labels DATA K l1 l2 ...",
#    1-based) cuts the rows, ranked by their first column (ties by row), into K
#    groups of consecutive ranks. EM is run to tight tolerances (tol 1e-13 for EM
#    and for the inner iterations) so that both programs report the fixed point,
#    not where a looser rule stopped.
# 2. Mclust(X, G = 1:9): its BIC table (mclust's sign, 2 log L - p log n), once with
#    the default control (EM tol 1e-5) and once with the tight one, and the
#    hierarchical partitions it starts from (hc(VVV) on the SVD-transformed data,
#    mclust.options("hcUse")), so that vem can start from them.
suppressMessages(library(mclust))
models <- mclust.options("emModelNames")
tight <- emControl(tol = c(1e-13, 1e-13), itmax = c(100000L, 1000L))
sets <- list(
  faithful = read.csv("examples/data/faithful.csv"),
  penguins = read.csv("examples/data/penguins.csv")[, c("beak_length_mm", "beak_depth_mm",
                                                         "flipper_length_mm", "body_mass_g")])
cat(sprintf("# mclust %s, R %s, hcUse %s\n", packageVersion("mclust"), getRversion(),
            mclust.options("hcUse")))
for (nm in names(sets)) {
  X <- as.matrix(sets[[nm]])
  n <- nrow(X)
  for (K in c(2, 3)) {
    rk <- order(X[, 1], seq_len(n))
    lab <- integer(n)
    lab[rk] <- ((seq_len(n) - 1) * K) %/% n + 1
    cat("labels", nm, K, lab, "\n")
    z <- unmap(lab)
    for (m in models) {
      fit <- me(X, modelName = m, z = z, control = tight)
      ll <- if (is.null(fit$loglik) || is.na(fit$loglik)) NA else fit$loglik
      it <- attr(fit, "info")[1]
      cat(sprintf("me %s %s %d %.17g %s\n", nm, m, K, ll, it))
    }
  }
  for (ctl in c("default", "tight")) {
    b <- if (ctl == "default") mclustBIC(X, G = 1:9) else mclustBIC(X, G = 1:9, control = tight)
    cat(sprintf("bichead %s %s %s\n", nm, ctl, paste(colnames(b), collapse = " ")))
    for (g in 1:9)
      cat(sprintf("bic %s %s %d %s\n", nm, ctl, g, paste(sprintf("%.17g", b[g, ]), collapse = " ")))
    s <- summary(b, X)
    cat(sprintf("best %s %s %s %d\n", nm, ctl, s$modelName, s$G))
  }
  hcp <- hc(X, modelName = mclust.options("hcModelName"), use = mclust.options("hcUse"))
  cl <- hclass(hcp, 2:9)
  for (g in 2:9) cat("hc", nm, g, cl[, as.character(g)], "\n")
}
