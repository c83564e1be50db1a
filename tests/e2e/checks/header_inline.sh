#!/bin/sh
# header_inline.patch: the static inline proc_fd() of fs/proc/fd.h (used by
# fs/proc/fd.c, included by fs/proc/base.c too) maps fd 9 to fd 8, so
# /proc/self/fd/9 links to what fd 8 is
exec 8</proc/version 9</dev/null
[ "$(readlink /proc/self/fd/9)" = /proc/version ]
