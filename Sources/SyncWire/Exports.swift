// Times and money are values of the wire's records, not the wire itself: they live in
// TimeAndMoney, which every user of the records gets with them.
@_exported import TimeAndMoney
