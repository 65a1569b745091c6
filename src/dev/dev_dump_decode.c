/* dev_dump_decode.c - (step 3) */
