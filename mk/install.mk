# SPDX-License-Identifier: GPL-2.0
#
# Installing, and the Debian package (debian/). Included at the end of the
# Makefile (uses its variables and adds to them):
#
#   make install       the binary, blockwatch(8), the bash completion and the
#                      systemd unit under PREFIX (default /usr/local), staged
#                      under DESTDIR if given
#   make uninstall     removes them (and, under a DESTDIR, the folders left empty)
#   make test-docs     the man page lints clean and documents every option of
#                      --help, the completion knows them, the versions agree,
#                      install + uninstall into a scratch DESTDIR leave nothing
#   make test-package  (root) builds the .deb in a copy of the tree, lintian,
#                      installs it, runs it on the demo target, removes it

PREFIX ?= /usr/local
exec_prefix ?= $(PREFIX)
sbindir ?= $(exec_prefix)/sbin
datarootdir ?= $(PREFIX)/share
mandir ?= $(datarootdir)/man
man8dir ?= $(mandir)/man8
bashcompdir ?= $(datarootdir)/bash-completion/completions
systemdunitdir ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install

PACKAGE_PKGS := debhelper dpkg-dev lintian mandoc groff-base man-db
DEPS_PKGS += $(PACKAGE_PKGS)

INSTALL_FILES := $(sbindir)/blockwatch $(man8dir)/blockwatch.8 $(bashcompdir)/blockwatch \
	$(systemdunitdir)/blockwatch.service

.PHONY: install uninstall test-docs test-package

# The unit's ExecStart names where the binary went.
install: blockwatch
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(addprefix $(DESTDIR),$(dir $(INSTALL_FILES)))
	$(Q)$(INSTALL) -m 0755 blockwatch $(DESTDIR)$(sbindir)/blockwatch
	$(Q)$(INSTALL) -m 0644 docs/blockwatch.8 $(DESTDIR)$(man8dir)/blockwatch.8
	$(Q)$(INSTALL) -m 0644 completion/blockwatch.bash $(DESTDIR)$(bashcompdir)/blockwatch
	$(Q)sed 's|^ExecStart=[^ ]*|ExecStart=$(sbindir)/blockwatch|' deploy/blockwatch.service \
		>$(DESTDIR)$(systemdunitdir)/blockwatch.service.tmp
	$(Q)chmod 0644 $(DESTDIR)$(systemdunitdir)/blockwatch.service.tmp
	$(Q)mv $(DESTDIR)$(systemdunitdir)/blockwatch.service.tmp \
		$(DESTDIR)$(systemdunitdir)/blockwatch.service

# Folders are left in place on a live system (others may use them), removed
# up to DESTDIR when they are empty in a staging tree.
uninstall:
	$(call msg,UNINST,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALL_FILES))
	$(Q)if [ -n "$(DESTDIR)" ]; then \
		for d in $(sort $(dir $(INSTALL_FILES))); do \
			while [ "$$d" != / ] && rmdir "$(DESTDIR)$$d" 2>/dev/null; do \
				d=$$(dirname "$$d"); \
			done; \
		done; \
	fi

test-docs: blockwatch
	@sh tests/install/docs.sh $(CURDIR)/blockwatch

test-package: $(OUTPUT)/targets/demo
	@sh tests/install/package.sh $(CURDIR)/$(OUTPUT)/targets/demo
