/* SPDX-License-Identifier: GPL-2.0 */
/* The commands that read snapshots, on any machine: no root, no BPF. */
#ifndef BW_CLI_OFFLINE_H
#define BW_CLI_OFFLINE_H

/* blockwatch report FILE: a snapshot rendered as the live report was. */
int bw_cmd_report(int argc, char **argv);
/* blockwatch diff OLD NEW: what got stuck in between. */
int bw_cmd_diff(int argc, char **argv);

#endif
