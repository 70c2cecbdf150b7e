use super::category::word_enum;

word_enum!(
    /// The regions a subscriber can pick and an alert is published to.
    Region {
        NorthEast = "north-east",
        NorthWest = "north-west",
        YorkshireHumber = "yorkshire-humber",
        EastMidlands = "east-midlands",
        WestMidlands = "west-midlands",
        East = "east",
        London = "london",
        SouthEast = "south-east",
        SouthWest = "south-west",
        Wales = "wales",
        Scotland = "scotland",
        NorthernIreland = "northern-ireland",
        Ireland = "ireland",
    }
);
