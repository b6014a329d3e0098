/// Head office's tools see what a node's daemon uses of central (``MySQLCentral``, the push
/// receiver, the change feed) as part of `Central`.
@_exported import CentralSync
