using System;
using Xunit;

namespace Kakashi.Runtime.Tests.Peers;

/// <summary>
/// A test against a real server program (installed by .ci/run): skipped, with the reason, on a machine that does not have
/// the program; CI installs it, so there the test runs.
/// </summary>
internal sealed class PeerFactAttribute : FactAttribute
{
    public PeerFactAttribute(string program, params string[] folders)
    {
        if (PeerProcess.Find(program, folders) is null) Skip = $"{program} is not installed (bash .ci/run installs it)";
    }
}
