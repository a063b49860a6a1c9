# Peer reference for vem's conjugate prior (vem_gmm_set_prior, `--prior`): R mclust
# 6.0.0 (Debian r-cran-mclust; a peer, not a dependency). Run from the repository root:
#   Rscript tests/golden/mclust_prior.R > tests/golden/mclust_prior.txt
# tests/test_mclust_prior.c reads the output; R is not needed to run the test.
#
# The prior is priorControl()'s default (defaultPrior: shrinkage 0.01, the column means,
# dof d + 2, scale var(X) / G^(2/d)); mclust 6.0 has one for 10 of the 14 models (not
# VEE, EVE, VVE, EVV).
#
# 1. me(): every model with a prior from the same fixed partition as mclust_me.R (rows
#    ranked by their first column, cut into K groups), K = 2 and 3, EM to tight
#    tolerances: "me DATA MODEL K loglik n_iter bic" (bic in mclust's sign,
#    2 loglik - p log n) and "par DATA MODEL K pro... mean... sigma..." (mean d x K and
#    sigma d x d x K in R's column-major order, i.e. component by component).
# 2. mvn(): the one-component MAP of every model (what mclustBIC uses at G = 1), as
#    "me DATA MODEL 1 ..." and "par DATA MODEL 1 ...".
# 3. mclustBIC(X, G = 1:9, prior = priorControl()) with the tight control, started from
#    its own hierarchical partitions (exported as "hc DATA G labels"): "bic DATA G ..."
#    for the 10 models in mclust's order, and its choice "best DATA MODEL G".
# 4. The default prior at G = 2: "prior DATA shrinkage dof mean... scale..." (scale
#    d x d of the ellipsoidal models).
suppressMessages(library(mclust))
models <- setdiff(mclust.options("emModelNames"), c("VEE", "EVE", "VVE", "EVV"))
tight <- emControl(tol = c(1e-13, 1e-13), itmax = c(100000L, 1000L))
sets <- list(
  faithful = read.csv("examples/data/faithful.csv"),
  penguins = read.csv("examples/data/penguins.csv")[, c("beak_length_mm", "beak_depth_mm",
                                                         "flipper_length_mm", "body_mass_g")])
cat(sprintf("# mclust %s, R %s, models with a prior: %s\n", packageVersion("mclust"),
            getRversion(), paste(models, collapse = " ")))
f17 <- function(v) paste(sprintf("%.17g", as.vector(v)), collapse = " ")
sigma_of <- function(fit, d, G) {
  s <- fit$parameters$variance$sigma
  if (is.null(s)) s <- array(fit$parameters$variance$Sigma, c(d, d, G))
  array(s, c(d, d, G))
}
for (nm in names(sets)) {
  X <- as.matrix(sets[[nm]])
  n <- nrow(X)
  d <- ncol(X)
  pr <- defaultPrior(X, 2, "VVV")
  cat("prior", nm, f17(pr$shrinkage), f17(pr$dof), f17(pr$mean), f17(pr$scale), "\n")
  for (m in models) {
    fit <- mvn(m, X, prior = priorControl())
    b <- bic(m, fit$loglik, n, d, 1)
    cat(sprintf("me %s %s 1 %.17g 1 %.17g\n", nm, m, fit$loglik, b))
    cat("par", nm, m, 1, f17(1), f17(fit$parameters$mean), f17(sigma_of(fit, d, 1)), "\n")
  }
  for (K in c(2, 3)) {
    rk <- order(X[, 1], seq_len(n))
    lab <- integer(n)
    lab[rk] <- ((seq_len(n) - 1) * K) %/% n + 1
    cat("labels", nm, K, lab, "\n")
    z <- unmap(lab)
    for (m in models) {
      fit <- me(X, modelName = m, z = z, prior = priorControl(), control = tight)
      b <- bic(m, fit$loglik, n, d, K)
      cat(sprintf("me %s %s %d %.17g %s %.17g\n", nm, m, K, fit$loglik,
                  attr(fit, "info")[1], b))
      cat("par", nm, m, K, f17(fit$parameters$pro), f17(fit$parameters$mean),
          f17(sigma_of(fit, d, K)), "\n")
    }
  }
  b <- mclustBIC(X, G = 1:9, prior = priorControl(), control = tight)
  cat(sprintf("bichead %s %s\n", nm, paste(colnames(b), collapse = " ")))
  for (g in 1:9)
    cat(sprintf("bic %s %d %s\n", nm, g, paste(sprintf("%.17g", b[g, ]), collapse = " ")))
  s <- summary(b, X)
  cat(sprintf("best %s %s %d\n", nm, s$modelName, s$G))
  hcp <- hc(X, modelName = mclust.options("hcModelName"), use = mclust.options("hcUse"))
  cl <- hclass(hcp, 2:9)
  for (g in 2:9) cat("hc", nm, g, cl[, as.character(g)], "\n")
}
