typedef int vem_stub_fit;
