"""The VPC of the SAM template: public subnets (the NAT gateway), app subnets (the functions,
egress via NAT), data subnets (database and proxy only) and the security groups between them."""

from __future__ import annotations

from infra import definition
from infra.sam.cfn import POSTGRES_PORT, Template, get_att, ref


def resources() -> Template:
    resources: Template = {
        "Vpc": {
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": "10.0.0.0/16",
                "EnableDnsHostnames": True,
                "EnableDnsSupport": True,
                "Tags": [{"Key": "Name", "Value": f"{definition.PREFIX}-vpc"}],
            },
        },
        "InternetGateway": {"Type": "AWS::EC2::InternetGateway"},
        "InternetGatewayAttachment": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": ref("Vpc"), "InternetGatewayId": ref("InternetGateway")},
        },
        "PublicRouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
        "PublicDefaultRoute": {
            "Type": "AWS::EC2::Route",
            "DependsOn": "InternetGatewayAttachment",
            "Properties": {
                "RouteTableId": ref("PublicRouteTable"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": ref("InternetGateway"),
            },
        },
        "NatAddress": {
            "Type": "AWS::EC2::EIP",
            "DependsOn": "InternetGatewayAttachment",
            "Properties": {"Domain": "vpc"},
        },
        "NatGateway": {
            "Type": "AWS::EC2::NatGateway",
            "Properties": {
                "AllocationId": get_att("NatAddress", "AllocationId"),
                "SubnetId": ref("PublicSubnet1"),
            },
        },
        "AppRouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
        "AppDefaultRoute": {
            "Type": "AWS::EC2::Route",
            "Properties": {
                "RouteTableId": ref("AppRouteTable"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": ref("NatGateway"),
            },
        },
        "DataRouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
    }
    # public: the NAT gateway; app: functions (egress via NAT); data: database + proxy only.
    tiers = (("Public", 0, True), ("App", 4, False), ("Data", 8, False))
    for tier, offset, public in tiers:
        for index in (1, 2):
            subnet = f"{tier}Subnet{index}"
            resources[subnet] = {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "VpcId": ref("Vpc"),
                    "CidrBlock": f"10.0.{offset * 4 + index * 4 - 4}.0/22",
                    "AvailabilityZone": {"Fn::Select": [index - 1, {"Fn::GetAZs": ""}]},
                    "MapPublicIpOnLaunch": public,
                    "Tags": [{"Key": "Name", "Value": f"{definition.PREFIX}-{tier.lower()}"}],
                },
            }
            resources[f"{subnet}RouteTableAssociation"] = {
                "Type": "AWS::EC2::SubnetRouteTableAssociation",
                "Properties": {
                    "SubnetId": ref(subnet),
                    "RouteTableId": ref(f"{tier}RouteTable"),
                },
            }
    resources["FunctionSecurityGroup"] = {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": "database-using functions",
            "VpcId": ref("Vpc"),
            "SecurityGroupEgress": [
                {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0", "Description": "platform APIs, AWS"}
            ],
        },
    }
    for name, source, description in (
        ("ProxySecurityGroup", "FunctionSecurityGroup", "RDS Proxy"),
        ("DatabaseSecurityGroup", "ProxySecurityGroup", "RDS PostgreSQL"),
    ):
        resources[name] = {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": description,
                "VpcId": ref("Vpc"),
                "SecurityGroupIngress": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": POSTGRES_PORT,
                        "ToPort": POSTGRES_PORT,
                        "SourceSecurityGroupId": ref(source),
                        "Description": f"from {source}",
                    }
                ],
            },
        }
    return resources
