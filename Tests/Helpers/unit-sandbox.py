#!/usr/bin/python3
"""Runs a command the way systemd would run a unit's ExecStart, on a machine without systemd.

    unit-sandbox.py ROOT [--bind SRC=DST]... [--install SRC=DST]... provision -- COMMAND...
    unit-sandbox.py ROOT [--bind SRC=DST]... [--install SRC=DST]... exec USER -- COMMAND...
    unit-sandbox.py ROOT [--bind SRC=DST]... [--install SRC=DST]... service UNIT_FILE
        [--credential NAME=FILE]... [--notify-socket PATH] [--replace OLD=NEW]... [--append ARG]...

Every mode runs in a private mount namespace, chrooted into ROOT/root: an overlay of this
machine's / with its changes kept in ROOT/upper, so a provisioning step (useradd, files under
/etc and /var/lib) happens inside ROOT and never on the host. --bind mounts a host folder (a
state directory the test reads), --install a host file (a built binary) at DST inside.

  provision  COMMAND as root, unconfined (installing: useradd, boxoffice init as the user).
  exec       COMMAND as USER, without the service's sandbox (an operator's `runuser -u USER`).
  service    the unit's ExecStart as systemd runs it, read from UNIT_FILE itself: Environment=,
             LoadCredential= (the credential files copied to /run/credentials/UNIT), User=,
             Group=, UMask=, StateDirectory=, NoNewPrivileges=, ProtectSystem=strict (everything
             read-only but /dev, /proc, /sys and the state directory), ProtectHome=,
             PrivateTmp=, PrivateDevices=, ProtectKernelTunables=, ProtectControlGroups=,
             ProtectProc=, and the seccomp filters systemd loads for SystemCallFilter= (sets
             expanded by `systemd-analyze syscall-filter`, @default added to an allow-list, the
             process killed by SIGSYS unless SystemCallErrorNumber= says otherwise),
             SystemCallArchitectures=native, RestrictAddressFamilies=, RestrictNamespaces=,
             RestrictRealtime=, RestrictSUIDSGID=, LockPersonality=, MemoryDenyWriteExecute=,
             ProtectClock=, ProtectKernelModules=, ProtectKernelLogs=, ProtectHostname=.
             Type=notify: the socket given by --notify-socket appears as /run/systemd/notify and
             NOTIFY_SOCKET names it; WatchdogSec= sets WATCHDOG_USEC and WATCHDOG_PID. --replace
             and --append change ExecStart's arguments (a free port for the test).

The helper execs the command in place: its pid is the service's, so signals reach it directly.
Needs root (namespaces, mounts, chroot) and Debian's python3-seccomp. An option the helper does
not know in the unit's [Service] section stops it (exit 2), so a new setting is never ignored.
"""
import ctypes
import errno
import os
import pwd
import shlex
import socket
import subprocess
import sys

import seccomp

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38


def fail(message, code=2):
    print(f"unit-sandbox: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def mount(source, target, fstype=None, flags=0, data=None):
    encode = lambda text: text.encode() if text is not None else None
    if libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)) != 0:
        code = ctypes.get_errno()
        fail(f"mount {source} on {target}: {os.strerror(code)}", 1)


# ---------------------------------------------------------------------------------------------
# The unit file


# Settings that change nothing the sandbox could check (ordering, restarts, timeouts, docs) or
# that are applied by the test itself (KillSignal: it sends SIGTERM).
IGNORED = {
    "Type", "ExecStart", "Restart", "RestartSec", "TimeoutStopSec", "TimeoutStartSec", "KillSignal",
    "SuccessExitStatus", "CapabilityBoundingSet", "AmbientCapabilities",
    "WatchdogSec", "NotifyAccess",
}
APPLIED = {
    "User", "Group", "Environment", "LoadCredential", "UMask", "StateDirectory", "NoNewPrivileges",
    "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
    "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
    "ProtectProc", "RestrictAddressFamilies", "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID",
    "LockPersonality", "MemoryDenyWriteExecute", "SystemCallArchitectures", "SystemCallFilter",
    "SystemCallErrorNumber", "ReadWritePaths", "StateDirectoryMode",
}


def read_unit(path):
    """The [Service] section: each key with the list of its values, in order."""
    section, service = None, {}
    with open(path) as file:
        for raw in file:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            if section != "Service":
                continue
            key, _, value = line.partition("=")
            if key not in IGNORED and key not in APPLIED:
                fail(f"{path}: [Service] {key}= is not emulated; teach Tests/Helpers/unit-sandbox.py what it does")
            service.setdefault(key, []).append(value.strip())
    if "ExecStart" not in service:
        fail(f"{path}: no ExecStart=")
    return service


def last(unit, key, default=None):
    return unit[key][-1] if key in unit and unit[key] else default


def yes(unit, key):
    return last(unit, key, "no").lower() in ("yes", "true", "1", "on")


def specifiers(text, unit_name):
    """The specifiers the units use: %d (credentials), %S (state root), %n (unit name)."""
    return (text.replace("%d", f"/run/credentials/{unit_name}").replace("%S", "/var/lib")
            .replace("%n", unit_name).replace("%%", "%"))


# ---------------------------------------------------------------------------------------------
# The root: an overlay of the host, with the test's folders and binaries bound in


def make_root(folder, binds, installs):
    if libc.unshare(CLONE_NEWNS) != 0:
        fail(f"unshare: {os.strerror(ctypes.get_errno())}", 1)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    root, upper, work = (os.path.join(folder, name) for name in ("root", "upper", "work"))
    for path in (root, upper, work):
        os.makedirs(path, exist_ok=True)
    mount("overlay", root, "overlay", 0, f"lowerdir=/,upperdir={upper},workdir={work}")
    for api in ("/dev", "/proc", "/sys"):
        mount(api, root + api, None, MS_BIND | MS_REC)
    for source, target in binds:
        os.makedirs(root + target, exist_ok=True)
        mount(source, root + target, None, MS_BIND)
    for source, target in installs:
        os.makedirs(os.path.dirname(root + target), exist_ok=True)
        if not os.path.exists(root + target):
            open(root + target, "w").close()
        mount(source, root + target, None, MS_BIND)
    return root


def mount_points(root):
    """Every mount at or under `root`, parents first."""
    points = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            point = line.split()[4].replace("\\040", " ")
            if point == root or point.startswith(root + "/"):
                points.append(point)
    return sorted(set(points), key=len)


def sandbox_files(unit, root, unit_name, notify_socket, credentials):
    """ProtectSystem=, ProtectHome=, PrivateTmp=, PrivateDevices=, the state directory."""
    state = last(unit, "StateDirectory")
    user = last(unit, "User", "root")
    entry = user_entry(root, user)
    if state:  # systemd creates it, owned by the user; a tree owned by another is handed over whole.
        path = f"{root}/var/lib/{state}"
        os.makedirs(path, exist_ok=True)
        if os.stat(path).st_uid != entry.pw_uid:
            for directory, folders, files in os.walk(path):
                for name in [directory] + [os.path.join(directory, item) for item in folders + files]:
                    os.lchown(name, entry.pw_uid, group_id(root, unit, entry))
        os.chmod(path, int(last(unit, "StateDirectoryMode", "0755"), 8))
    if credentials:  # LoadCredential=: a read-only folder only the service's user can read.
        folder = f"{root}/run/credentials/{unit_name}"
        os.makedirs(folder, exist_ok=True)
        mount("credentials", folder, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700")
        for name, source in credentials:
            with open(source, "rb") as incoming, open(f"{folder}/{name}", "wb") as copy:
                copy.write(incoming.read())
            os.chmod(f"{folder}/{name}", 0o400)
            os.chown(f"{folder}/{name}", entry.pw_uid, -1)
        os.chmod(folder, 0o500)
        os.chown(folder, entry.pw_uid, -1)
    if notify_socket:
        os.makedirs(f"{root}/run/systemd", exist_ok=True)
        open(f"{root}/run/systemd/notify", "w").close()
        mount(notify_socket, f"{root}/run/systemd/notify", None, MS_BIND)

    protect = last(unit, "ProtectSystem", "no")
    writable = [f"/var/lib/{state}"] if state else []
    writable += [path for value in unit.get("ReadWritePaths", []) for path in value.split()]
    if protect == "strict":
        api = ("/dev", "/proc", "/sys")
        for point in mount_points(root):
            inside = point[len(root):] or "/"
            if not any(inside == path or inside.startswith(path + "/") for path in api + tuple(writable)):
                remount(point, read_only=True)
        for path in writable:  # systemd's ReadWritePaths=: writable again, on a mount of their own
            if os.path.exists(root + path) and not is_mount_point(root + path):
                mount(root + path, root + path, None, MS_BIND | MS_REC)
                remount(root + path, read_only=False)
    elif protect not in ("no", "false"):
        fail(f"ProtectSystem={protect} is not emulated (strict is)")
    home = last(unit, "ProtectHome", "no")
    if home in ("yes", "true", "read-only", "tmpfs"):
        for path in ("/home", "/root", "/run/user"):
            if os.path.isdir(root + path):
                mode = "0755" if home == "tmpfs" else "0000"
                mount("protect-home", root + path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode}")
                if home != "tmpfs":
                    remount(root + path, read_only=True)
    if yes(unit, "PrivateTmp"):
        for path in ("/tmp", "/var/tmp"):
            mount("private-tmp", root + path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    if yes(unit, "PrivateDevices"):
        devices = f"{root}/dev"
        mount("private-dev", devices, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755")
        for node in ("null", "zero", "full", "random", "urandom", "tty"):
            open(f"{devices}/{node}", "w").close()
            mount(f"/dev/{node}", f"{devices}/{node}", None, MS_BIND)
        for folder in ("pts", "shm"):
            os.makedirs(f"{devices}/{folder}")
        mount("/dev/pts", f"{devices}/pts", None, MS_BIND)
        mount("shm", f"{devices}/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
        for name, target in (("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                             ("stderr", "/proc/self/fd/2"), ("fd", "/proc/self/fd")):
            os.symlink(target, f"{devices}/{name}")
    proc = last(unit, "ProtectProc", "default")
    if proc != "default":  # a procfs of its own that hides other users' processes
        mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"hidepid={proc}")
    if yes(unit, "ProtectKernelTunables"):
        for path in ("/proc/sys", "/sys"):
            read_only_tree(root + path)
    if yes(unit, "ProtectControlGroups") and os.path.isdir(root + "/sys/fs/cgroup"):
        read_only_tree(root + "/sys/fs/cgroup")


def is_mount_point(path):
    return path in mount_points(path)


def read_only_tree(path):
    """PATH and every mount under it read-only (PATH bound onto itself first when it is no mount)."""
    if not is_mount_point(path):
        mount(path, path, None, MS_BIND | MS_REC)
    for point in mount_points(path):
        remount(point, read_only=True)


def remount(point, read_only):
    """The mount at POINT read-only or writable, keeping its nosuid, nodev and noexec."""
    options = mount_options(point)
    flags = MS_REMOUNT | MS_BIND | (MS_RDONLY if read_only else 0)
    flags |= (MS_NOSUID if "nosuid" in options else 0) | (MS_NODEV if "nodev" in options else 0)
    flags |= MS_NOEXEC if "noexec" in options else 0
    mount(None, point, None, flags)


def mount_options(point):
    """The per-mount options of the topmost mount at POINT."""
    found = set()
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            if fields[4] == point:
                found = set(fields[5].split(","))
    return found


# ---------------------------------------------------------------------------------------------
# Users


def user_entry(root, name):
    """The user as ROOT's /etc/passwd has it (provisioning may have created it there)."""
    with open(f"{root}/etc/passwd") as passwd:
        for line in passwd:
            fields = line.rstrip("\n").split(":")
            if fields[0] == name or fields[2] == name:
                return pwd.struct_passwd(fields[:2] + [int(fields[2]), int(fields[3])] + fields[4:7])
    fail(f"no user '{name}' in the root's /etc/passwd: provision it first", 1)


def group_id(root, unit, entry):
    name = last(unit, "Group")
    if not name:
        return entry.pw_gid
    with open(f"{root}/etc/group") as groups:
        for line in groups:
            fields = line.rstrip("\n").split(":")
            if fields[0] == name:
                return int(fields[2])
    fail(f"no group '{name}' in the root's /etc/group", 1)


def supplementary_groups(root, user):
    found = []
    with open(f"{root}/etc/group") as groups:
        for line in groups:
            fields = line.rstrip("\n").split(":")
            if user in fields[3].split(","):
                found.append(int(fields[2]))
    return found


def become(root, user, gid):
    """chroot into ROOT, then drop to USER (initgroups, setgid, setuid), as systemd does."""
    entry = user_entry(root, user)
    os.chroot(root)
    os.chdir("/")
    os.setgroups(supplementary_groups("/", entry.pw_name))
    os.setgid(gid if gid is not None else entry.pw_gid)
    os.setuid(entry.pw_uid)
    return entry


# ---------------------------------------------------------------------------------------------
# Seccomp, filter by filter in systemd's order (each allows what it does not name; the kernel
# applies the strictest answer of all)


def syscall_sets():
    """Every @set's members, from `systemd-analyze syscall-filter`."""
    output = subprocess.run(["systemd-analyze", "syscall-filter"], check=True, capture_output=True, text=True).stdout
    sets, current = {}, None
    for line in output.splitlines():
        if line.startswith("@"):
            current = sets.setdefault(line.strip(), [])
        elif line.startswith("    ") and current is not None and not line.strip().startswith("#"):
            current.append(line.strip())
        elif not line.strip():
            current = None
    return sets


def expand(name, sets):
    if not name.startswith("@"):
        return {name}
    if name not in sets:
        fail(f"unknown system call set {name}")
    names = set()
    for member in sets[name]:
        names |= expand(member, sets)
    return names


def add(filter, action, name, *arguments):
    """A rule, skipping calls this architecture or libseccomp does not know (systemd does the same)."""
    try:
        filter.add_rule(action, name, *arguments)
    except (RuntimeError, ValueError):
        pass


def errno_number(text):
    value = getattr(errno, text, None)
    if value is None:
        fail(f"unknown errno {text}")
    return value


def apply_seccomp(unit, sets):
    if last(unit, "SystemCallArchitectures", "native") != "native":
        fail("SystemCallArchitectures= other than native is not emulated")
    loads = []  # each filter allows by default; libseccomp's context holds the native arch only

    families = last(unit, "RestrictAddressFamilies")
    if families:
        allowed = {getattr(socket, name) for name in families.split()}
        f = seccomp.SyscallFilter(seccomp.ALLOW)
        for family in range(0, 64):
            if family not in allowed:
                add(f, seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, family))
        add(f, seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.GE, 64))
        loads.append(f)
    if yes(unit, "MemoryDenyWriteExecute"):
        PROT_WRITE, PROT_EXEC, SHM_EXEC = 2, 4, 0o100000
        f = seccomp.SyscallFilter(seccomp.ALLOW)
        add(f, seccomp.ERRNO(errno.EPERM), "mmap",
            seccomp.Arg(2, seccomp.MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC))
        for call in ("mprotect", "pkey_mprotect"):
            add(f, seccomp.ERRNO(errno.EPERM), call, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
        add(f, seccomp.ERRNO(errno.EPERM), "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
        loads.append(f)
    if yes(unit, "RestrictRealtime"):
        f = seccomp.SyscallFilter(seccomp.ALLOW)
        for policy in (1, 2, 6):  # SCHED_FIFO, SCHED_RR, SCHED_DEADLINE
            add(f, seccomp.ERRNO(errno.EPERM), "sched_setscheduler",
                seccomp.Arg(1, seccomp.MASKED_EQ, 0x7, policy))
        loads.append(f)
    if yes(unit, "RestrictSUIDSGID"):
        SUID = 0o6000
        f = seccomp.SyscallFilter(seccomp.ALLOW)
        for call, position in (("chmod", 1), ("fchmod", 1), ("fchmodat", 2), ("mknod", 1), ("mknodat", 2)):
            add(f, seccomp.ERRNO(errno.EPERM), call, seccomp.Arg(position, seccomp.MASKED_EQ, SUID, SUID))
        O_CREAT = 0o100
        add(f, seccomp.ERRNO(errno.EPERM), "open", seccomp.Arg(1, seccomp.MASKED_EQ, O_CREAT, O_CREAT),
            seccomp.Arg(2, seccomp.MASKED_EQ, SUID, SUID))
        add(f, seccomp.ERRNO(errno.EPERM), "openat", seccomp.Arg(2, seccomp.MASKED_EQ, O_CREAT, O_CREAT),
            seccomp.Arg(3, seccomp.MASKED_EQ, SUID, SUID))
        add(f, seccomp.ERRNO(errno.EPERM), "creat", seccomp.Arg(1, seccomp.MASKED_EQ, SUID, SUID))
        loads.append(f)
    if yes(unit, "RestrictNamespaces"):
        NEW = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080
        f = seccomp.SyscallFilter(seccomp.ALLOW)
        add(f, seccomp.ERRNO(errno.EPERM), "setns")
        for bit in [1 << n for n in range(32) if NEW & (1 << n)]:
            add(f, seccomp.ERRNO(errno.EPERM), "unshare", seccomp.Arg(0, seccomp.MASKED_EQ, bit, bit))
            add(f, seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, bit, bit))
        # clone3's flags sit behind a pointer no filter can read: systemd makes glibc fall back.
        add(f, seccomp.ERRNO(errno.ENOSYS), "clone3")
        loads.append(f)
    implied = []
    if yes(unit, "ProtectKernelModules"):
        implied += sorted(expand("@module", sets))
    if yes(unit, "ProtectKernelLogs"):
        implied += ["syslog"]
    if yes(unit, "ProtectClock"):
        implied += sorted(expand("@clock", sets))
    if yes(unit, "PrivateDevices"):
        implied += sorted(expand("@raw-io", sets))
    if yes(unit, "ProtectHostname"):
        implied += ["sethostname", "setdomainname"]
    if implied:
        f = seccomp.SyscallFilter(seccomp.ALLOW)
        for name in implied:
            add(f, seccomp.ERRNO(errno.EPERM), name)
        loads.append(f)
    if yes(unit, "LockPersonality"):
        f = seccomp.SyscallFilter(seccomp.ALLOW)
        add(f, seccomp.ERRNO(errno.EPERM), "personality", seccomp.Arg(0, seccomp.NE, 0))  # PER_LINUX
        loads.append(f)

    lines = unit.get("SystemCallFilter", [])
    if lines:
        # systemd's parse: the first line decides allow-list or deny-list (an allow-list starts
        # from @default); a later line of the other kind takes its names back out.
        allow_list = not lines[0].startswith("~")
        names = {}  # name -> errno (None: the default action)
        if allow_list:
            names.update({name: None for name in expand("@default", sets)})
        for line in lines:
            invert = line.startswith("~")
            for word in line.lstrip("~").split():
                item, _, number = word.partition(":")
                for name in expand(item, sets):
                    if invert != allow_list:
                        names[name] = errno_number(number) if number else None
                    else:
                        names.pop(name, None)
        error = last(unit, "SystemCallErrorNumber")
        refused = seccomp.ERRNO(errno_number(error)) if error else seccomp.KILL_PROCESS
        if allow_list:
            f = seccomp.SyscallFilter(refused)
            for name, number in names.items():
                add(f, seccomp.ALLOW if number is None else seccomp.ERRNO(number), name)
        else:
            f = seccomp.SyscallFilter(seccomp.ALLOW)
            for name, number in names.items():
                add(f, refused if number is None else seccomp.ERRNO(number), name)
        loads.append(f)  # last, as systemd does: nothing of the helper runs under it but execve
    for f in loads:
        f.load()


# ---------------------------------------------------------------------------------------------


def main():
    arguments = sys.argv[1:]
    if len(arguments) < 2:
        fail(__doc__.strip().split("\n\n")[0])
    folder, arguments = os.path.abspath(arguments[0]), arguments[1:]
    binds, installs = [], []
    while arguments and arguments[0] in ("--bind", "--install"):
        source, _, target = arguments[1].partition("=")
        (binds if arguments[0] == "--bind" else installs).append((os.path.abspath(source), target))
        arguments = arguments[2:]
    if not arguments:
        fail("no mode: provision, exec or service")
    mode, arguments = arguments[0], arguments[1:]
    if os.geteuid() != 0:
        fail("needs root (mount namespace, overlay, chroot)", 1)
    root = make_root(folder, binds, installs)
    system_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    if mode == "provision":
        command = arguments[1:] if arguments[:1] == ["--"] else arguments
        os.chroot(root)
        os.chdir("/")
        environment = {"PATH": system_path, "HOME": "/root", "LANG": "C.UTF-8"}
        os.execve(command[0], command, environment)
    if mode == "exec":
        user, command = arguments[0], arguments[1:]
        command = command[1:] if command[:1] == ["--"] else command
        entry = become(root, user, None)
        environment = {"PATH": system_path, "HOME": entry.pw_dir, "USER": entry.pw_name, "LOGNAME": entry.pw_name,
                       "LANG": "C.UTF-8"}
        os.execve(command[0], command, environment)
    if mode != "service":
        fail(f"unknown mode '{mode}': provision, exec or service")

    unit_file, options = arguments[0], arguments[1:]
    unit_name = os.path.basename(unit_file)
    credentials, replacements, appended, notify_socket = [], [], [], None
    while options:
        option, value = options[0], options[1] if len(options) > 1 else fail(f"{options[0]} needs a value")
        if option == "--credential":
            credentials.append(tuple(value.split("=", 1)))
        elif option == "--replace":
            replacements.append(tuple(value.split("=", 1)))
        elif option == "--append":
            appended.append(value)
        elif option == "--notify-socket":
            notify_socket = value
        else:
            fail(f"unknown option {option}")
        options = options[2:]
    unit = read_unit(unit_file)
    loaded = [tuple(value.split(":", 1)) for value in unit.get("LoadCredential", [])]
    for name, _ in loaded:
        if name not in dict(credentials):
            fail(f"the unit loads credential '{name}': give it with --credential {name}=FILE")
    if last(unit, "Type", "simple") == "notify" and not notify_socket:
        fail("Type=notify: give the socket that stands for systemd's with --notify-socket PATH")

    state = last(unit, "StateDirectory")
    sets = syscall_sets()
    sandbox_files(unit, root, unit_name, notify_socket if last(unit, "Type") == "notify" else None,
                  [(name, dict(credentials)[name]) for name, _ in loaded])
    command = shlex.split(specifiers(unit["ExecStart"][-1].lstrip("@-:+!"), unit_name))
    for old, new in replacements:
        command = [word.replace(old, new) for word in command]
    command += appended

    user = last(unit, "User", "root")
    entry = user_entry(root, user)
    gid = group_id(root, unit, entry)
    environment = {"PATH": system_path, "LANG": "C.UTF-8", "HOME": entry.pw_dir, "USER": entry.pw_name,
                   "LOGNAME": entry.pw_name, "SHELL": entry.pw_shell, "INVOCATION_ID": os.urandom(16).hex()}
    for value in unit.get("Environment", []):
        for assignment in shlex.split(specifiers(value, unit_name)):
            key, _, setting = assignment.partition("=")
            environment[key] = setting
    if loaded:
        environment["CREDENTIALS_DIRECTORY"] = f"/run/credentials/{unit_name}"
    if state:
        environment["STATE_DIRECTORY"] = f"/var/lib/{state}"
    if last(unit, "Type") == "notify":
        environment["NOTIFY_SOCKET"] = "/run/systemd/notify"
        watchdog = last(unit, "WatchdogSec")
        if watchdog:
            environment["WATCHDOG_USEC"] = str(seconds(watchdog) * 1_000_000)
            environment["WATCHDOG_PID"] = str(os.getpid())
    become(root, user, gid)
    os.umask(int(last(unit, "UMask", "0022"), 8))
    if yes(unit, "NoNewPrivileges"):
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    sys.stdout.flush()
    sys.stderr.flush()
    apply_seccomp(unit, sets)
    os.execve(command[0], command, environment)


def seconds(text):
    """systemd's time spans as the units here write them: `30s`, `2min`, `1m`, a bare number."""
    for suffix, factor in (("min", 60), ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


if __name__ == "__main__":
    main()
