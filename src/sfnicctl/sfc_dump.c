#include "sfnicctl.h"
#include <errno.h>
int sfc_cmd_dump(struct sfc *c, int argc, char **argv)
{
	(void)argc; (void)argv;
	return sfc_fail(c, ENOSYS, "not yet");
}
