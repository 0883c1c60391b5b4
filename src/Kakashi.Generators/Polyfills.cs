// netstandard2.0 lacks the types some C# features need.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }
}
