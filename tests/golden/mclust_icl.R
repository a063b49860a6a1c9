# Peer reference for vem's ICL: R mclust 6.0.0 (Debian r-cran-mclust; a peer, not a
# dependency). Run from the repository root:
#   Rscript tests/golden/mclust_icl.R > tests/golden/mclust_icl.txt
# tests/test_mclust.c reads the output; R is not needed to run the test.
#
# mclustICL(X, G = 1:9) with the tight EM control of mclust_me.R (tol 1e-13), so that
# both programs report fixed points: one line per G, "icl DATA G v_EII ... v_VVV" in
# mclust's sign (2 log L - p log n + 2 sum_n log max_k z_nk, higher is better), its
# columns in mclust.options("emModelNames") order, and the model it picks. Every cell
# starts, as Mclust() does, from the cut of hc(VVV) on the SVD-transformed data that
# mclust_me.R records ("hc DATA G ...").
suppressMessages(library(mclust))
tight <- emControl(tol = c(1e-13, 1e-13), itmax = c(100000L, 1000L))
sets <- list(
  faithful = read.csv("examples/data/faithful.csv"),
  penguins = read.csv("examples/data/penguins.csv")[, c("beak_length_mm", "beak_depth_mm",
                                                         "flipper_length_mm", "body_mass_g")])
cat(sprintf("# mclust %s, R %s, hcUse %s\n", packageVersion("mclust"), getRversion(),
            mclust.options("hcUse")))
for (nm in names(sets)) {
  X <- as.matrix(sets[[nm]])
  b <- mclustICL(X, G = 1:9, control = tight)
  cat(sprintf("iclhead %s %s\n", nm, paste(colnames(b), collapse = " ")))
  for (g in 1:9)
    cat(sprintf("icl %s %d %s\n", nm, g, paste(sprintf("%.17g", b[g, ]), collapse = " ")))
  s <- summary(b)
  top <- names(s)[1]
  cat(sprintf("iclbest %s %s\n", nm, top))
}
