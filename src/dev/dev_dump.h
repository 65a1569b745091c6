/* dev_dump.h - (step 3) */
#ifndef SFNIC_DEV_DUMP_H
#define SFNIC_DEV_DUMP_H
#endif
