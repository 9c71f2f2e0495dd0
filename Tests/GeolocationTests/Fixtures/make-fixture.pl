#!/usr/bin/perl
# Builds city-fixture.mmdb, a tiny database in the GeoIP2-City record layout, for
# GeolocationTests. Needs Debian's libmaxmind-db-writer-perl.
#
#   cd Tests/GeolocationTests/Fixtures && perl make-fixture.pl
#
# The networks are public (our IPAddress.isPublic rejects documentation ranges) and the
# data is invented for the tests, loosely modelled on MaxMind's own test databases.
use strict;
use warnings;
use utf8;

use MaxMind::DB::Writer::Tree;

my %types = (
    city         => 'map',
    country      => 'map',
    iso_code     => 'utf8_string',
    names        => 'map',
    en           => 'utf8_string',
    de           => 'utf8_string',
    subdivisions => [ 'array', 'map' ],
    location     => 'map',
    latitude     => 'double',
    longitude    => 'double',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => 'GeoIP2-City',
    languages             => ['en', 'de'],
    description           => { en => 'Button GeolocationTests fixture' },
    alias_ipv6_to_ipv4    => 1,
    map_key_type_callback => sub { $types{ $_[0] } },
);

sub place {
    my (%args) = @_;
    my %record = (
        country => { iso_code => $args{country}, ($args{country_en} ? (names => { en => $args{country_en} }) : ()) },
    );
    $record{subdivisions} = [ { iso_code => $args{sub_code}, names => { en => $args{sub_en} } } ]
        if $args{sub_code};
    $record{city} = { names => { en => $args{city_en}, ($args{city_de} ? (de => $args{city_de}) : ()) } }
        if $args{city_en};
    $record{location} = { latitude => $args{lat}, longitude => $args{lon} } if defined $args{lat};
    return \%record;
}

# A complete record.
$tree->insert_network('81.2.69.0/24', place(
    country => 'GB', country_en => 'United Kingdom',
    sub_code => 'ENG', sub_en => 'England',
    city_en => 'London', city_de => 'London', lat => 51.5142, lon => -0.0931));
# Another complete record, in Asia.
$tree->insert_network('175.16.199.0/24', place(
    country => 'CN', country_en => 'China',
    sub_code => 'JL', sub_en => 'Jilin',
    city_en => 'Changchun', lat => 43.88, lon => 125.3228));
# IPv6, with non-ASCII names (MMDB strings are UTF-8 and not NUL-terminated).
$tree->insert_network('2a02:ec0::/29', place(
    country => 'SE', country_en => 'Sweden',
    sub_code => 'E', sub_en => 'Östergötland',
    city_en => 'Linköping', lat => 58.4167, lon => 15.6167));
# No English country name: the geolocator falls back to iso-codes ("Vietnam").
$tree->insert_network('89.160.20.112/28', place(
    country => 'VN', sub_code => 'HN', sub_en => 'Hanoi', city_en => 'Hanoi'));
# Country only, no subdivision, city or coordinates.
$tree->insert_network('67.43.156.0/24', place(country => 'BT', country_en => 'Bhutan'));
# A code that is not a country (Asia/Pacific): the geolocator answers unknown.
$tree->insert_network('202.196.224.0/24', place(country => 'AP', country_en => 'Asia/Pacific Region'));

open my $fh, '>:raw', 'city-fixture.mmdb' or die "cannot write city-fixture.mmdb: $!";
$tree->write_tree($fh);
close $fh or die "cannot close city-fixture.mmdb: $!";
