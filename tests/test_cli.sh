exit 1 # stub
