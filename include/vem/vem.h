/* include/vem/vem.h — umbrella header: the whole public API of libvem. */
#ifndef VEM_VEM_H
#define VEM_VEM_H

#include <vem/blr.h>
#include <vem/blogr.h>
#include <vem/comm.h>
#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>
#include <vem/glmm.h>
#include <vem/gmm.h>
#include <vem/hmm.h>
#include <vem/io.h>
#include <vem/lda.h>
#include <vem/model.h>
#include <vem/vae.h>
#include <vem/vbgmm.h>
#include <vem/vbhmm.h>

#endif /* VEM_VEM_H */
