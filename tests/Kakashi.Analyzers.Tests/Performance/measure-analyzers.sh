#!/usr/bin/env bash
# Measures the Kakashi analyzers (and generator) on a generated corpus of 1,000 [KakashiLog] methods, each called once,
# plus configuration objects, with the compiler's own per-analyzer timing (-p:ReportAnalyzer=true).
# Usage: tests/Kakashi.Analyzers.Tests/Performance/measure-analyzers.sh [methods=1000] [folder=/tmp/kakashi-analyzer-corpus]
set -euo pipefail
methods=${1:-1000}
folder=${2:-/tmp/kakashi-analyzer-corpus}
root=$(cd "$(dirname "$0")/../../.." && pwd)
per_class=20
rm -rf "$folder" && mkdir -p "$folder"

cat > "$folder/Corpus.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <Import Project="$root/build/Kakashi.Consumer.props" />
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>disable</ImplicitUsings>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
</Project>
XML

types=("int" "long" "double" "decimal" "string" "Guid" "DateTime" "TimeSpan" "bool" "Side")
{
  echo "using System; using Kakashi; using Microsoft.Extensions.Logging;"
  echo "namespace Corpus;"
  echo "public enum Side { Buy, Sell }"
  for ((c = 0; c < methods / per_class; c++)); do
    echo "public static partial class Log$c {"
    for ((m = 0; m < per_class; m++)); do
      i=$((c * per_class + m))
      a=${types[$((i % 10))]}; b=${types[$(((i / 10) % 10))]}
      echo "  [KakashiLog(LogLevel.Information, \"Event $i: {First} and {Second,8} done\", EventId = $((i + 1)))]"
      echo "  public static partial void M$i(this KakashiLogger logger, $a first, $b second, Exception? error);"
    done
    echo "}"
  done
  echo "public static class Calls {"
  echo "  public static void Run(KakashiLogger logger, int i, long l, double d, decimal m, string s, Guid g, DateTime t, TimeSpan ts, bool f, Side side) {"
  for ((i = 0; i < methods; i++)); do
    a=${types[$((i % 10))]}; b=${types[$(((i / 10) % 10))]}
    arg() { case $1 in int) echo i;; long) echo l;; double) echo d;; decimal) echo m;; string) echo s;; Guid) echo g;; DateTime) echo t;; TimeSpan) echo ts;; bool) echo f;; Side) echo side;; esac; }
    echo "    logger.M$i($(arg "$a"), $(arg "$b"), null);"
  done
  echo "  }"
  echo "  public static AsyncPipelineConfig Config() => new() { BufferSize = 1 << 20, ObjectSlots = 1024, ShutdownTimeout = TimeSpan.FromSeconds(5),"
  echo "    Backpressure = new BackpressureConfig { WarningThreshold = 800_000, DropThreshold = 1_000_000 },"
  echo "    Writers = [new AsyncFileWriter(\"app.log\") { BatchSize = 256 * 1024, FlushInterval = TimeSpan.FromSeconds(1) }] };"
  echo "}"
} > "$folder/Corpus.cs"

cd "$folder"
dotnet build-server shutdown >/dev/null 2>&1 || true
dotnet build -c Release -nologo -v:q >/dev/null                       # restore, build the references, warm up
dotnet build -c Release -nologo --no-incremental -p:BuildProjectReferences=false -p:ReportAnalyzer=true -v:d > build.log
# the compiler's report: totals, then the Kakashi assembly's block (analyzers, then the generator)
grep -E "Total (analyzer|generator) execution time" build.log | sed 's/^ *//'
grep -E "^ +[<0-9.]+ +[<0-9]+ +Kakashi\.Generators" build.log | sed 's/^ *//'
grep -E "Time Elapsed" build.log | tail -1
