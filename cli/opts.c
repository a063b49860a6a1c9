/* stub: being written */
typedef int vem_stub_opts;
