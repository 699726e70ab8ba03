# Sourced by ./jcasync, ./run-tests and ./demo: sets JCASYNC_JAVA_HOME to a JDK >= 25 or fails with one line.
# Looks at $JAVA_HOME, the java on $PATH, then the usual JVM directories.
jcasync_java_major() {   # jcasync_java_major JAVA_HOME -> prints the feature version, or nothing
  local v=
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  # The JDK's release file names its version without starting a JVM.
  [ -f "$1/release" ] && v=$(sed -n 's/^JAVA_VERSION="\([0-9.]*\).*/\1/p' "$1/release")
  [ -n "$v" ] || v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
  v=${v#1.}
  printf '%s\n' "${v%%.*}"
}
jcasync_find_jdk() {
  local c m candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    c=$(readlink -f "$(command -v java)"); candidates+=("${c%/bin/java}")
  fi
  for c in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/lib/jvm/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    m=$(jcasync_java_major "$c" 2>/dev/null) || continue
    if [ -n "$m" ] && [ "$m" -ge 25 ] 2>/dev/null; then JCASYNC_JAVA_HOME=$c; return 0; fi
  done
  echo "jcasync: no JDK 25 or newer found (looked at \$JAVA_HOME, java on \$PATH and /usr/lib/jvm); install one, e.g. Temurin 25, or set JAVA_HOME" >&2
  return 1
}
