/* SPDX-License-Identifier: MIT */
/* cmd.h -- entry points of tmwatch's own commands (argv[0] is the command
 * name). Each returns an exit code of msg.h. */
#ifndef TMWATCH_WATCHDOG_CMD_H
#define TMWATCH_WATCHDOG_CMD_H
int cmd_telemetry_main(int argc, char **argv);
/* The subcommands of `tmwatch telemetry` (telemetry_*.c), argv[0] being
 * the subcommand's name. */
int telemetry_set_main(int argc, char **argv);
int telemetry_status_main(int argc, char **argv);
int telemetry_env_main(int argc, char **argv);
int telemetry_dump_main(int argc, char **argv);
int telemetry_csv_main(int argc, char **argv);
int telemetry_clean_main(int argc, char **argv);
int telemetry_count_main(int argc, char **argv);
int telemetry_upload_main(int argc, char **argv);
int telemetry_view_main(int argc, char **argv);
int cmd_crashes_main(int argc, char **argv);
int cmd_stacks_main(int argc, char **argv);
int cmd_doctor_main(int argc, char **argv);
#endif
