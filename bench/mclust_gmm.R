#!/usr/bin/Rscript
# bench/mclust_gmm.R — time R mclust's EM from a vem initial model; print one JSON line.
#
#   Rscript bench/mclust_gmm.R DATA INIT.json ITERS [--binary-cols D] [--columns a,b,c]
#
# DATA is a CSV with a header (--columns selects by name; default all columns) or, with
# --binary-cols D, raw little-endian float64 with D columns. INIT is a vem model file
# (full or diag covariances: mclust models "VVV" and "VVI"). mclust::em runs from those
# parameters with emControl(tol = 0, itmax = ITERS), so ITERS iterations run unless the
# log-likelihood stops changing at all (n_iter says so); mclust is single-threaded. Timed
# twice, ITERS and 1 iteration from the same start; seconds_per_iter_net =
# (t_ITERS - t_1) / (n_iter - 1). log_likelihood is that of the
# returned parameters (one more mclust::estep, outside the timing); em's own loglik is
# that of the parameters entering its last M-step.
suppressMessages({
  library(mclust)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) stop("usage: mclust_gmm.R DATA INIT.json ITERS [--binary-cols D] [--columns a,b]")
path <- args[1]
init <- fromJSON(args[2], simplifyVector = TRUE)
iters <- as.integer(args[3])
opt <- function(name) {
  i <- match(name, args)
  if (is.na(i)) NULL else args[i + 1]
}
bc <- opt("--binary-cols")
if (!is.null(bc)) {
  d <- as.integer(bc)
  v <- readBin(path, "double", n = file.size(path) / 8, size = 8, endian = "little")
  x <- matrix(v, ncol = d, byrow = TRUE)
} else {
  df <- read.csv(path, check.names = FALSE)
  cols <- opt("--columns")
  if (!is.null(cols)) df <- df[, strsplit(cols, ",")[[1]], drop = FALSE]
  x <- as.matrix(df)
}
n <- nrow(x)
d <- ncol(x)
G <- init$n_components
cov <- init$covariance_type
mu <- matrix(init$means, nrow = G)  # G x d
params <- list(pro = as.numeric(init$weights), mean = t(mu))
if (cov == "full") {
  model <- "VVV"
  s <- array(init$covariances, dim = c(G, d, d))
  sigma <- array(0, dim = c(d, d, G))
  chols <- array(0, dim = c(d, d, G))
  for (g in 1:G) {
    sigma[, , g] <- s[g, , ]
    chols[, , g] <- chol(s[g, , ])
  }
  params$variance <- list(modelName = model, d = d, G = G, sigma = sigma, cholsigma = chols)
} else if (cov == "diag") {
  model <- "VVI"
  vv <- matrix(init$covariances, nrow = G)  # G x d
  scale <- apply(vv, 1, function(r) exp(mean(log(r))))
  shape <- t(vv / scale)  # d x G, each column of determinant 1
  sigma <- array(0, dim = c(d, d, G))
  for (g in 1:G) sigma[, , g] <- diag(vv[g, ], d)
  params$variance <- list(modelName = model, d = d, G = G, sigma = sigma, scale = scale,
                          shape = shape)
} else {
  stop("only full and diag initial models")
}
run <- function(it) {
  ctl <- emControl(tol = c(0, sqrt(.Machine$double.eps)), itmax = c(it, .Machine$integer.max))
  t0 <- proc.time()[["elapsed"]]
  fit <- em(data = x, modelName = model, parameters = params, control = ctl, warn = FALSE)
  list(fit = fit, seconds = proc.time()[["elapsed"]] - t0)
}
r1 <- run(1L)
rn <- run(iters)
fit <- rn$fit
info <- attr(fit, "info")
status <- if (is.null(attr(fit, "returnCode"))) 0 else attr(fit, "returnCode")
ll <- NA
if (!is.null(fit$parameters) && !any(is.na(fit$parameters$mean))) {
  e <- try(estep(data = x, modelName = model, parameters = fit$parameters), silent = TRUE)
  if (!inherits(e, "try-error")) ll <- e$loglik
}
out <- list(peer = "mclust", version = as.character(packageVersion("mclust")), rows = n, cols = d,
            k = G, model = model, iters = iters,
            # mclust reports a negative count when it stopped at itmax
            n_iter = if (is.null(info)) NA else abs(unname(info[["iterations"]])),
            return_code = status,
            warning = {
              w <- attr(fit, "WARNING")
              if (is.null(w) || w == "iteration limit reached") "" else w
            },
            seconds = rn$seconds, seconds_1 = r1$seconds,
            seconds_per_iter_net = {
              ni <- if (is.null(info)) iters else abs(unname(info[["iterations"]]))
              if (ni > 1) (rn$seconds - r1$seconds) / (ni - 1) else rn$seconds
            },
            em_loglik = if (is.null(fit$loglik)) NA else fit$loglik,
            log_likelihood = ll, mean_log_likelihood = ll / n)
cat(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"), "\n")
