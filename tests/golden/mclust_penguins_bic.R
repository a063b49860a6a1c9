# Peer reference for vem's BIC: R mclust 6.0.0 (Debian r-cran-mclust) on the
# penguins' four measurements. Run from the repository root:
#   Rscript tests/golden/mclust_penguins_bic.R > tests/golden/mclust_penguins_bic.txt
# mclust's BIC is 2 log L - p log n (higher is better); vem's is its negative.
suppressMessages(library(mclust))
d <- read.csv("examples/data/penguins.csv")[, c("beak_length_mm", "beak_depth_mm",
                                                 "flipper_length_mm", "body_mass_g")]
b <- mclustBIC(d, G = 1:4, modelNames = c("VVV", "VVI", "VII", "EEE"))
cat(sprintf("# mclust %s, R %s; columns: K VVV VVI VII EEE (mclust sign)\n",
            packageVersion("mclust"), getRversion()))
for (g in 1:4) cat(g, sprintf("%.10f", b[g, ]), "\n")
s <- summary(b, d)
cat("# best:", s$modelName, s$G, "\n")
