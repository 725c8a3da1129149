// Captures of 802.16 traffic that tekho did not write: ns-3's WiMAX module
// (Debian 12's libns3-dev, ns-3.37) runs a cell and writes what its devices send and receive as
// pcap files, Ethernet frames with the WiMAX MAC-to-MAC ethertype 0x08f0,
// as Wireshark's m2m dissector reads them. tests/ns3/make_captures.sh
// builds this and commits its output under tests/captures/ns3/.
//
// usage: wimax_captures SCENARIO PREFIX
//   simple  one BS and two SSs (OFDM, simple scheduler): a UDP flow SS1 ->
//           SS0 through the BS, rtPS service flows down to SS0 and up
//           from SS1 (ns-3's own wimax-simple example, shortened)
//   ipv4    one BS and three SSs (mbqos scheduler): a UDP flow down to each
//           SS from a server behind the BS and up from each, UGS and BE
//           service flows (after ns-3's wimax-ipv4 example)
// Writes PREFIX-bs and PREFIX-ss0 (the first SS's device), pcap files.
#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/ipcs-classifier-record.h"
#include "ns3/mobility-module.h"
#include "ns3/network-module.h"
#include "ns3/service-flow.h"
#include "ns3/wimax-module.h"

#include <cstring>
#include <iostream>
#include <string>

using namespace ns3;

namespace
{

ServiceFlow
Flow(WimaxHelper& wimax,
     ServiceFlow::Direction dir,
     ServiceFlow::SchedulingType type,
     Ipv4Address src,
     Ipv4Mask srcMask,
     Ipv4Address dst,
     Ipv4Mask dstMask,
     uint16_t port)
{
    IpcsClassifierRecord classifier(src, srcMask, dst, dstMask, 0, 65000, port, port, 17, 1);
    return wimax.CreateServiceFlow(dir, type, classifier);
}

} // namespace

int
main(int argc, char* argv[])
{
    if (argc != 3 || (std::strcmp(argv[1], "simple") != 0 && std::strcmp(argv[1], "ipv4") != 0))
    {
        std::cerr << "usage: wimax_captures simple|ipv4 PREFIX" << std::endl;
        return 2;
    }
    const bool simple = std::strcmp(argv[1], "simple") == 0;
    const std::string prefix = argv[2];
    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(1);

    const int nSs = simple ? 2 : 3;
    NodeContainer ssNodes;
    NodeContainer bsNodes;
    ssNodes.Create(nSs);
    bsNodes.Create(1);

    WimaxHelper wimax;
    const WimaxHelper::SchedulerType sched =
        simple ? WimaxHelper::SCHED_TYPE_SIMPLE : WimaxHelper::SCHED_TYPE_MBQOS;
    NetDeviceContainer ssDevs = wimax.Install(ssNodes,
                                              WimaxHelper::DEVICE_TYPE_SUBSCRIBER_STATION,
                                              WimaxHelper::SIMPLE_PHY_TYPE_OFDM,
                                              sched);
    NetDeviceContainer bsDevs =
        wimax.Install(bsNodes, WimaxHelper::DEVICE_TYPE_BASE_STATION, WimaxHelper::SIMPLE_PHY_TYPE_OFDM, sched);

    if (!simple)
    {
        MobilityHelper mobility;
        Ptr<ListPositionAllocator> positions = CreateObject<ListPositionAllocator>();
        positions->Add(Vector(0, 0, 0));
        for (int i = 0; i < nSs; i++)
        {
            positions->Add(Vector(100.0 * (i + 1), 50.0 * i, 0));
        }
        mobility.SetPositionAllocator(positions);
        mobility.SetMobilityModel("ns3::ConstantPositionMobilityModel");
        mobility.Install(bsNodes);
        mobility.Install(ssNodes);
    }

    InternetStackHelper stack;
    stack.Install(bsNodes);
    stack.Install(ssNodes);
    Ipv4AddressHelper address;
    address.SetBase("10.1.1.0", "255.255.255.0");
    Ipv4InterfaceContainer ssIf = address.Assign(ssDevs);
    Ipv4InterfaceContainer bsIf = address.Assign(bsDevs);

    const Ipv4Mask any("0.0.0.0");
    const Ipv4Mask host("255.255.255.255");
    const double start = 1.0;
    const double stop = simple ? 2.5 : 2.0;
    if (simple)
    {
        UdpServerHelper server(100);
        ApplicationContainer s = server.Install(ssNodes.Get(0));
        s.Start(Seconds(start));
        s.Stop(Seconds(stop));
        UdpClientHelper client(ssIf.GetAddress(0), 100);
        client.SetAttribute("MaxPackets", UintegerValue(1000));
        client.SetAttribute("Interval", TimeValue(Seconds(0.1)));
        client.SetAttribute("PacketSize", UintegerValue(200));
        ApplicationContainer c = client.Install(ssNodes.Get(1));
        c.Start(Seconds(start));
        c.Stop(Seconds(stop));
        Ptr<SubscriberStationNetDevice> ss0 = ssDevs.Get(0)->GetObject<SubscriberStationNetDevice>();
        Ptr<SubscriberStationNetDevice> ss1 = ssDevs.Get(1)->GetObject<SubscriberStationNetDevice>();
        ss0->AddServiceFlow(Flow(wimax,
                                 ServiceFlow::SF_DIRECTION_DOWN,
                                 ServiceFlow::SF_TYPE_RTPS,
                                 Ipv4Address("0.0.0.0"),
                                 any,
                                 ssIf.GetAddress(0),
                                 host,
                                 100));
        ss1->AddServiceFlow(Flow(wimax,
                                 ServiceFlow::SF_DIRECTION_UP,
                                 ServiceFlow::SF_TYPE_RTPS,
                                 ssIf.GetAddress(1),
                                 host,
                                 Ipv4Address("0.0.0.0"),
                                 any,
                                 100));
    }
    else
    {
        for (int i = 0; i < nSs; i++)
        {
            const uint16_t down = 100 + i;
            const uint16_t up = 200 + i;
            UdpServerHelper ssServer(down);
            ApplicationContainer s1 = ssServer.Install(ssNodes.Get(i));
            s1.Start(Seconds(start));
            s1.Stop(Seconds(stop));
            UdpClientHelper toSs(ssIf.GetAddress(i), down);
            toSs.SetAttribute("MaxPackets", UintegerValue(1000));
            toSs.SetAttribute("Interval", TimeValue(Seconds(0.2)));
            toSs.SetAttribute("PacketSize", UintegerValue(100 + 50 * i));
            ApplicationContainer c1 = toSs.Install(bsNodes.Get(0));
            c1.Start(Seconds(start));
            c1.Stop(Seconds(stop));
            UdpServerHelper bsServer(up);
            ApplicationContainer s2 = bsServer.Install(bsNodes.Get(0));
            s2.Start(Seconds(start));
            s2.Stop(Seconds(stop));
            UdpClientHelper fromSs(bsIf.GetAddress(0), up);
            fromSs.SetAttribute("MaxPackets", UintegerValue(1000));
            fromSs.SetAttribute("Interval", TimeValue(Seconds(0.25)));
            fromSs.SetAttribute("PacketSize", UintegerValue(300));
            ApplicationContainer c2 = fromSs.Install(ssNodes.Get(i));
            c2.Start(Seconds(start + 0.05));
            c2.Stop(Seconds(stop));
            Ptr<SubscriberStationNetDevice> ss = ssDevs.Get(i)->GetObject<SubscriberStationNetDevice>();
            ss->AddServiceFlow(Flow(wimax,
                                    ServiceFlow::SF_DIRECTION_DOWN,
                                    i == 0 ? ServiceFlow::SF_TYPE_UGS : ServiceFlow::SF_TYPE_BE,
                                    Ipv4Address("0.0.0.0"),
                                    any,
                                    ssIf.GetAddress(i),
                                    host,
                                    down));
            ss->AddServiceFlow(Flow(wimax,
                                    ServiceFlow::SF_DIRECTION_UP,
                                    i == 0 ? ServiceFlow::SF_TYPE_UGS : ServiceFlow::SF_TYPE_BE,
                                    ssIf.GetAddress(i),
                                    host,
                                    Ipv4Address("0.0.0.0"),
                                    any,
                                    up));
        }
    }

    Ptr<NetDevice> bs = bsDevs.Get(0);
    Ptr<NetDevice> ss0 = ssDevs.Get(0);
    wimax.EnablePcap(prefix + "-bs", bsNodes.Get(0)->GetId(), bs->GetIfIndex(), true);
    wimax.EnablePcap(prefix + "-ss0", ssNodes.Get(0)->GetId(), ss0->GetIfIndex(), true);

    Simulator::Stop(Seconds(stop + 0.05));
    Simulator::Run();
    Simulator::Destroy();
    return 0;
}
