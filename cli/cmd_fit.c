/* stub: being written */
typedef int vem_stub_cmd_fit;
