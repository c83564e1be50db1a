#!/bin/sh
# sockstat_mid_jump.patch: __sk_free() of net/core/sock.c counts a freed
# socket twice in "sockets: used" of /proc/net/sockstat, so each socket
# opened and closed lowers it by one.  Debian's __sk_free() has "jmp
# sk_destruct" in its middle (the else branch), which the kernel's
# assembler shortened to 2 bytes (eb): run-pre matching must compare the
# rest of the function 3 bytes earlier than in the pre code.
used() { awk '$1 == "sockets:" { print $3 }' /proc/net/sockstat; }
a=$(used)
for i in 1 2 3 4; do nc 127.0.0.1 9 </dev/null 2>/dev/null; done
b=$(used)
[ -n "$a" ] && [ -n "$b" ] && [ $((a - b)) -ge 3 ]
