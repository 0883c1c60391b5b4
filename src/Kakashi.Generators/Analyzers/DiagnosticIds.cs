namespace Kakashi.Generators.Analyzers;

/// <summary>
/// Every Kakashi diagnostic id, in one place. docs/diagnostics.md has a section per id (its anchor is the id in lower case).
/// Groups: 00x method shape, 01x logger source, 02x template, 03x levels and event ids, 04x hot path, 05x configuration.
/// </summary>
public static class DiagnosticIds
{
    // method shape
    public const string MethodNotPartial = "KAK001";
    public const string MethodHasBody = "KAK002";
    public const string MethodNotVoid = "KAK003";
    public const string MethodGeneric = "KAK004";
    public const string TypeNotPartial = "KAK005";
    public const string UnsupportedParameterModifier = "KAK006";
    public const string ReservedName = "KAK007";

    // logger source
    public const string StaticWithoutLogger = "KAK010";
    public const string InstanceWithoutLogger = "KAK011";
    public const string InstanceWithManyLoggers = "KAK012";
    public const string StaticWithLoggerMember = "KAK013";

    // template
    public const string MalformedTemplate = "KAK020";
    public const string HoleWithoutParameter = "KAK021";
    public const string ParameterNotInTemplate = "KAK022";
    public const string HolesDifferOnlyByCase = "KAK023";
    public const string NullMessage = "KAK024";
    public const string EmptyMessage = "KAK025";
    public const string RedundantLevelPrefix = "KAK026";
    public const string InvalidFormat = "KAK027";

    // levels and event ids
    public const string InvalidLevel = "KAK030";
    public const string LevelTwice = "KAK031";
    public const string NoLevel = "KAK032";
    public const string DuplicateEventIdInType = "KAK033";
    public const string DuplicateEventIdInAssembly = "KAK034";
    public const string DuplicateEventName = "KAK035";
    public const string ExceptionInTemplate = "KAK036";
    public const string LoggerInTemplate = "KAK037";

    // hot path
    public const string AllocatingParameter = "KAK040";
    public const string ManyExceptions = "KAK041";
    public const string AllocatingArgument = "KAK042";

    // configuration constants
    public const string NotPowerOfTwo = "KAK050";
    public const string OutOfRange = "KAK051";
    public const string IntervalOutOfRange = "KAK052";
    public const string IntervalTooLarge = "KAK053";
    public const string InvertedThresholds = "KAK054";
    public const string ThresholdAboveBuffer = "KAK055";
    public const string LimitBelowBuffer = "KAK056";
    public const string BatchAboveLimit = "KAK057";
    public const string InvalidEndpoint = "KAK058";
    public const string UnknownPreset = "KAK059";

    /// <summary>
    /// Where each id is documented: the docs file in the repository, anchored by id. (Relative: the project has no published
    /// docs address yet; set it here when it has one.)
    /// </summary>
    public const string HelpLinkBase = "docs/diagnostics.md#";

    public static string HelpLink(string id) => HelpLinkBase + id.ToLowerInvariant();
}
