# tests/golden/glmm_lme4.R — lme4's fits of the GLMM examples (docs/glmm.md), the reference
# of tests/test_glmm.c and tests/test_cli_glmm.sh. From the checkout's root:
#     Rscript tests/golden/glmm_lme4.R > tests/golden/glmm_lme4.txt
# Each line: a name, then numbers: beta, sigma2 (the random intercept's variance), the
# log-likelihood (nats), and for *_se the standard errors of beta from vcov().
suppressMessages(library(lme4))
ctrl <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-12,
                     optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
line <- function(name, v) cat(name, sprintf("%.12g", v), "\n")
fit <- function(file, nagq) {
  d <- read.csv(file)
  glmer(y ~ 0 + x + (1 | group), data = d, family = binomial, nAGQ = nagq, control = ctrl)
}
cat("# lme4", as.character(packageVersion("lme4")), "R", R.version$major, R.version$minor, "\n")
cat("# glmer(y ~ 0 + x + (1 | group), family = binomial, nAGQ = 25 or 1 (Laplace))\n")
cat("# name beta sigma2 loglik\n")
for (nagq in c(25, 1)) {
  for (set in c("mcculloch", "boundary")) {
    m <- fit(sprintf("examples/data/glmm_%s.csv", set), nagq)
    tag <- sprintf("%s_%s", set, if (nagq == 1) "laplace" else "agq25")
    line(tag, c(fixef(m), VarCorr(m)$group[1], as.numeric(logLik(m))))
    if (nagq == 25) line(paste0(tag, "_se"), sqrt(diag(as.matrix(vcov(m)))))
  }
}
cat("# glmer(y ~ x + (1 | group), family = poisson, nAGQ = 25): intercept, x, sigma2, loglik\n")
d <- read.csv("examples/data/glmm_poisson.csv")
m <- glmer(y ~ x + (1 | group), data = d, family = poisson, nAGQ = 25, control = ctrl)
line("poisson_agq25", c(fixef(m), VarCorr(m)$group[1], as.numeric(logLik(m))))
line("poisson_agq25_se", sqrt(diag(as.matrix(vcov(m)))))
# lme4's nAGQ > 1 log-likelihood of a Poisson fit is relative to the saturated model (its
# deviance residuals): add the saturated log-likelihood for the full one (vem's).
y <- d$y
sat <- sum(ifelse(y > 0, y * log(y), 0) - y - lgamma(y + 1))
line("poisson_saturated", sat)
line("poisson_agq25_full_loglik", as.numeric(logLik(m)) + sat)
