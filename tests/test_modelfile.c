int main(void) { return 1; } /* stub: being written */
