# Peer reference for vem's hierarchical start (--init hc, the default up to 2000
# rows) and its default model selection: R mclust 6.0.0 (Debian r-cran-mclust; a
# peer, not a dependency). Run from the repository root:
#   Rscript tests/golden/mclust_hc.R > tests/golden/mclust_hc.txt
# tests/test_mclust_hc.c reads the output; R is not needed to run the test.
#
# 1. "hc DATA G l1 l2 ...": hclass(hc(X), 1:9), the partitions Mclust() starts
#    from (hc with mclust.options("hcModelName", "hcUse"): VVV on the SVD-transformed
#    data), labels 1-based as hclass numbers them (by first appearance).
# 2. "q DATA G l1 l2 ...": univariate data, where Mclust() builds no tree but starts
#    from quantile classes, mclust:::qclass(x, G) (labels by value).
# 3. "bic DATA CONTROL G b_1 ... b_m" with a "bichead DATA CONTROL names" line:
#    Mclust(X, G = 1:9)'s BIC table (mclust's sign, 2 log L - p log n), with the
#    default control (EM stops at a relative change of 1e-5) and with a tight one
#    (1e-13), and "best DATA CONTROL MODEL G", Mclust()'s choice.
suppressMessages(library(mclust))
tight <- emControl(tol = c(1e-13, 1e-13), itmax = c(100000L, 1000L))
faithful <- read.csv("examples/data/faithful.csv")
penguins <- read.csv("examples/data/penguins.csv")[, c("beak_length_mm", "beak_depth_mm",
                                                        "flipper_length_mm", "body_mass_g")]
multi <- list(faithful = faithful, penguins = penguins)
uni <- list(waiting = faithful$waiting, body_mass = penguins$body_mass_g)
cat(sprintf("# mclust %s, R %s, hcModelName %s, hcUse %s, subset %d\n",
            packageVersion("mclust"), getRversion(), mclust.options("hcModelName"),
            mclust.options("hcUse"), mclust.options("subset")))
tables <- function(nm, X) {
  for (ctl in c("default", "tight")) {
    m <- if (ctl == "default") Mclust(X, G = 1:9, verbose = FALSE)
         else Mclust(X, G = 1:9, control = tight, verbose = FALSE)
    b <- m$BIC
    cat(sprintf("bichead %s %s %s\n", nm, ctl, paste(colnames(b), collapse = " ")))
    for (g in 1:9)
      cat(sprintf("bic %s %s %d %s\n", nm, ctl, g, paste(sprintf("%.17g", b[g, ]), collapse = " ")))
    cat(sprintf("best %s %s %s %d\n", nm, ctl, m$modelName, m$G))
  }
}
for (nm in names(multi)) {
  X <- as.matrix(multi[[nm]])
  hcp <- hc(X, modelName = mclust.options("hcModelName"), use = mclust.options("hcUse"))
  cl <- hclass(hcp, 1:9)
  for (g in 1:9) cat("hc", nm, g, cl[, as.character(g)], "\n")
  tables(nm, X)
}
for (nm in names(uni)) {
  x <- uni[[nm]]
  for (g in 2:9) cat("q", nm, g, mclust:::qclass(x, g), "\n")
  tables(nm, x)
}
