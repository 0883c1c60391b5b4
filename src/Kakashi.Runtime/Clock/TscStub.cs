using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Kakashi.Clock;

/// <summary>Builds the <c>rdtsc</c> stub in executable memory (x64 Linux only); returns null where it cannot.</summary>
internal static unsafe class TscStub
{
    // rdtsc ; shl rdx, 32 ; or rax, rdx ; ret
    private static ReadOnlySpan<byte> Code => [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];

    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;

    public static delegate* unmanaged[SuppressGCTransition]<long> TryCreate()
    {
        try
        {
            if (string.Equals(Environment.GetEnvironmentVariable("KAKASHI_CLOCK"), "stopwatch", StringComparison.OrdinalIgnoreCase)) return null;
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
            if (!HasInvariantTsc()) return null;

            nint page = mmap(0, 4096, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (page == -1 || page == 0) return null;
            Code.CopyTo(new Span<byte>((void*)page, 4096));
            if (mprotect(page, 4096, ProtRead | ProtExec) != 0) return null;

            var fn = (delegate* unmanaged[SuppressGCTransition]<long>)page;
            long a = fn(), b = fn();
            return a > 0 && b >= a ? fn : null;
        }
        catch (Exception)
        {
            return null; // any failure: Stopwatch fallback
        }
    }

    private static bool HasInvariantTsc()
    {
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
        {
            if (!line.StartsWith("flags", StringComparison.Ordinal)) continue;
            var flags = " " + line + " ";
            return flags.Contains(" constant_tsc ", StringComparison.Ordinal) && flags.Contains(" nonstop_tsc ", StringComparison.Ordinal);
        }
        return false;
    }

    [DllImport("libc", EntryPoint = "mmap")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "mprotect")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int mprotect(nint addr, nuint length, int prot);
}
