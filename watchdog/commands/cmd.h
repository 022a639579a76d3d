/* SPDX-License-Identifier: MIT */
/* cmd.h -- entry points of tmwatch's own commands (argv[0] is the command
 * name). Each returns an exit code of msg.h. */
#ifndef TMWATCH_WATCHDOG_CMD_H
#define TMWATCH_WATCHDOG_CMD_H
int cmd_telemetry_main(int argc, char **argv);
int cmd_crashes_main(int argc, char **argv);
int cmd_stacks_main(int argc, char **argv);
#endif
