#!/usr/bin/Rscript
# bench/mclust_select.R — time R mclust's Mclust(X, G = 1:9) (the 14 models, its
# defaults: hc start, EM to a relative change of 1e-5); print one JSON line.
#
#   Rscript bench/mclust_select.R DATA [--columns a,b,c] [--repeat R]
#
# DATA is a CSV with a header (--columns selects by name; default all columns). The
# library is loaded and the data read before the clock starts; Mclust() alone is timed
# with system.time, R times (default 3), and the best elapsed time is reported
# (seconds), with the user + system CPU time of that run (cpu_seconds). The chosen
# model, its K and its BIC (mclust's sign) are printed to check the two programs agree.
suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: mclust_select.R DATA [--columns a,b] [--repeat R]")
opt <- function(name) {
  i <- match(name, args)
  if (is.na(i)) NULL else args[i + 1]
}
df <- read.csv(args[1], check.names = FALSE)
cols <- opt("--columns")
if (!is.null(cols)) df <- df[, strsplit(cols, ",")[[1]], drop = FALSE]
X <- as.matrix(df)
reps <- if (is.null(opt("--repeat"))) 3L else as.integer(opt("--repeat"))
best <- Inf
cpu <- NA
for (r in seq_len(reps)) {
  t <- system.time(m <- Mclust(X, G = 1:9, verbose = FALSE))
  if (t[["elapsed"]] < best) {
    best <- t[["elapsed"]]
    cpu <- t[["user.self"]] + t[["sys.self"]]
  }
}
cat(sprintf(paste0('{"program":"mclust","version":"%s","n":%d,"d":%d,"seconds":%.4f,',
                   '"cpu_seconds":%.4f,"model":"%s","k":%d,"bic":%.6f}\n'),
            packageVersion("mclust"), nrow(X), ncol(X), best, cpu, m$modelName, m$G, m$bic))
